// Adapts an async function to a grpc-js unary handler: the handler only translates. The call's
// cancellation fires when it is cancelled or runs past its deadline, so work still queued can be
// dropped. grpc-js also reports "cancelled" once an answer has been sent: it means the call is
// over, not that its client gave up, so only work that has not started may act on it.
import type { sendUnaryData, ServerUnaryCall } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { ServiceError } from "../core/failure.js";
import { failureOf, toGrpcError } from "./errors.js";
import { MalformedRequest } from "./tolerant-decoding.js";
import { cancellationOf, type CallCancellation } from "../app/cancelled.js";

export function unary<Req, Res>(logger: Logger, method: string, handle: (request: Req, cancellation: CallCancellation) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    if (call.request instanceof MalformedRequest) {
      callback(toGrpcError({
        reason: "MALFORMED_REQUEST",
        message: `the request is not a valid ${method} message: ${call.request.detail}`,
        metadata: { field: "request" },
        violations: [{ field: "request", reason: "MALFORMED_REQUEST", description: "does not decode as the method's protobuf message" }],
      }));
      return;
    }
    // Through a promise, so a synchronous throw (a parse failure) is answered like any other.
    Promise.resolve(call.request).then((request) => handle(request, cancellationOf(call))).then(
      (response) => callback(null, response),
      (error: unknown) => {
        if (!(error instanceof ServiceError)) logger.error({ err: error, method }, "unexpected error");
        callback(toGrpcError(failureOf(error)));
      },
    );
  };
}
