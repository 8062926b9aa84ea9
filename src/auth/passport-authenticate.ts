import type { Request, Response } from 'express';
import passport, { Passport, type PassportStatic, type Strategy } from 'passport';

/**
 * Strategies register themselves in this throwaway registry instead of passport's process-wide one, which
 * keeps one strategy per name: with several apps in one process (e2e tests, workers) the last app's strategy
 * would authenticate every app's requests against its own database and key. Guards hand passport the
 * strategy instances of their own app instead (`authenticateWith`).
 */
export function privatePassport(): PassportStatic {
  return new Passport() as PassportStatic;
}

/**
 * Runs passport with these strategies in order (the first success wins; failures fall through to the
 * next) and resolves with the user, or null when every strategy failed. Errors (including AppErrors thrown
 * by a strategy's validate) reject.
 */
export function authenticateWith<User>(
  strategies: Strategy[],
  request: Request,
  response: Response,
): Promise<User | null> {
  // passport augments the strategy object with per-request success/fail callbacks: give it a fresh object
  // per request whose prototype is the shared instance.
  const perRequest = strategies.map((strategy) => Object.create(strategy) as Strategy);
  return new Promise((resolve, reject) => {
    const middleware = passport.authenticate(
      perRequest as unknown as string[],
      { session: false },
      (error: unknown, user: User | false | undefined) =>
        error ? reject(asError(error)) : resolve(user || null),
    ) as (request: Request, response: Response, next: (error?: unknown) => void) => void;
    middleware(request, response, (error?: unknown) => (error ? reject(asError(error)) : resolve(null)));
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error('passport authentication failed', { cause: error });
}
