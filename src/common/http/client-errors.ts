import type { Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { PROBLEM_CONTENT_TYPE, resolveProblem } from '../errors/problem-details';

/** What Node's HTTP parser refused, by its error code; anything else is a plain 400. */
const PROBLEM_BY_PARSER_CODE: Record<string, { code: ErrorCode; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    code: ErrorCode.HEADERS_TOO_LARGE,
    detail: 'The request line and headers exceed the server limit (16 KB)',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: ErrorCode.REQUEST_TIMEOUT,
    detail: 'The request was not received in time',
  },
};

/**
 * Requests Node's HTTP parser refuses (a URL or headers over its 16 KB limit, a malformed request line) never
 * reach Express; by default Node answers them with a bare status and no body. This answers them with the
 * same problem+json body as every other error, then closes the connection (its state is unknown).
 */
export function answerClientErrorsAsProblems(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const known = PROBLEM_BY_PARSER_CODE[error.code ?? ''] ?? {
      code: ErrorCode.BAD_REQUEST,
      detail: 'The request could not be parsed as HTTP',
    };
    const { body } = resolveProblem(new AppError(known.code, known.detail), {});
    const text = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${body.status} ${STATUS_CODES[body.status] ?? ''}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\n` +
        'Connection: close\r\n\r\n' +
        text,
    );
  });
}
