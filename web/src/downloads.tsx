import { useEffect, useState } from 'preact/hooks';

/** A link that downloads `text` as a file (the Markdown reports); the object URL is freed on unmount. */
export function DownloadLink({ text, fileName, label }: { text: string; fileName: string; label: string }) {
  const [url, setUrl] = useState<string | undefined>(undefined);
  useEffect(() => {
    const created = URL.createObjectURL(new Blob([text], { type: 'text/markdown;charset=utf-8' }));
    setUrl(created);
    return () => URL.revokeObjectURL(created);
  }, [text]);
  if (url === undefined) return null;
  return (
    <a href={url} download={fileName} class="download">
      {label}
    </a>
  );
}
