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

/** One item of `GET /sso/v2/User/{userId}/Companies` (the flat array shape). */
export interface VendorUserCompany {
  id: string;
  name?: string;
  designation_id?: number;
  /** Keyed by designation id: `{"2": "MiSP"}`, `{"5": "Subscriber"}`. */
  designations?: Record<string, string>;
}

/** True when the company carries the designation (`MiSP`, `Subscriber`, …), compared case-insensitively. */
export function hasDesignation(company: VendorUserCompany, designation: string): boolean {
  const wanted = designation.toLowerCase();
  return Object.values(company.designations ?? {}).some(
    (name) => typeof name === 'string' && name.toLowerCase() === wanted,
  );
}
