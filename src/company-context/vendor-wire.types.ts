/** iPaaS.com's LoginResponse (Auth/Login, Auth/Refresh, User/ChangeCompany), snake_case as on the wire. */
export interface VendorLoginResponse {
  id: number;
  name?: string;
  email_address?: string;
  access_token: string;
  access_token_expiration: string;
  refresh_token?: string;
}

export function isLoginResponse(value: unknown): value is VendorLoginResponse {
  const candidate = value as Partial<VendorLoginResponse> | undefined;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.access_token === 'string' &&
    typeof candidate.access_token_expiration === 'string' &&
    !Number.isNaN(Date.parse(candidate.access_token_expiration))
  );
}
