// The signed-in token lives in sessionStorage: it survives a reload of the tab but not closing it,
// and is never written to localStorage or a cookie (the admin API reads only the Authorization header).

const TOKEN_KEY = 'evenkeel.token';

export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}
