import { percent } from './format';
import type { ImpactSimulation } from './types';

// The impact simulation as a grouped bar chart: per backend, the share the recent requests got under
// the live config ("before") and the share the proposed balancer gives them ("after"), with the
// weight share as the reference mark. Bars over policy.simulation.max_share_ratio are red.

export function SimulationChart({ simulation }: { simulation: ImpactSimulation }) {
  return (
    <div class="simulation" data-testid="simulation">
      <p class="muted">
        {simulation.sampleSize > 0 ? `${simulation.sampleSize} recent requests replayed` : 'No recent traffic: a synthetic sample was replayed'}; flagged above {simulation.maxShareRatio}× the weight share.
      </p>
      {simulation.pools.map((pool) => {
        const max = Math.max(0.01, ...pool.backends.flatMap((backend) => [backend.currentShare, backend.predictedShare, backend.weightShare]));
        const width = (share: number) => `${((share / max) * 100).toFixed(1)}%`;
        return (
          <figure key={pool.pool} class="chart">
            <figcaption>
              Pool {pool.pool}: share before and after{pool.isSynthetic === true ? ' (synthetic sample)' : ''}
            </figcaption>
            <table>
              <thead>
                <tr>
                  <th scope="col">Backend</th>
                  <th scope="col" class="share-col">
                    <span class="legend-dot" style={{ background: '#94a3b8' }} />
                    before <span class="legend-dot" style={{ background: '#2563eb', marginLeft: '0.5rem' }} />
                    after
                  </th>
                  <th scope="col">Weight share</th>
                </tr>
              </thead>
              <tbody>
                {pool.backends.map((backend) => {
                  const isOver = backend.ratio > simulation.maxShareRatio;
                  return (
                    <tr key={backend.backend}>
                      <th scope="row">{backend.backend}</th>
                      <td class="share-col">
                        <div class="share-bars">
                          <div class="bar-row">
                            <span class="bar-label">before</span>
                            <span class="bar-track">
                              <span class="bar expected" style={{ width: width(backend.currentShare) }} />
                            </span>
                            <span class="bar-value">{percent(backend.currentShare)}</span>
                          </div>
                          <div class="bar-row">
                            <span class="bar-label">after</span>
                            <span class="bar-track">
                              <span class={`bar observed${isOver ? ' over' : ''}`} style={{ width: width(backend.predictedShare) }} />
                            </span>
                            <span class="bar-value">
                              {percent(backend.predictedShare)}
                              {isOver && <span class="badge danger"> over</span>}
                            </span>
                          </div>
                        </div>
                      </td>
                      <td class="num">{percent(backend.weightShare)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </figure>
        );
      })}
      {simulation.flags.length > 0 && (
        <ul>
          {simulation.flags.map((flag, index) => (
            <li key={index} class="error">
              {flag}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
