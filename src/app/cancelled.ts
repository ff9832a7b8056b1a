// A call given up while it waited for its turn (its client cancelled it, or its deadline passed):
// it leaves the queue without running, so under overload the service does not spend a batch on
// answers nobody is waiting for. A call that has started runs to its end: its write is whole or
// nothing, and a retry with the same request_id gets its answer.
import { EventEmitter } from "node:events";
import { ServiceError } from "../core/failure.js";

/**
 * What a queue needs of a call to drop it once its client gives up. Not an AbortSignal: grpc-js
 * reports every call as cancelled once it has been answered too, and an AbortSignal's abort costs
 * several microseconds a call (it builds an exception with a stack trace).
 */
export interface CallCancellation {
  readonly cancelled: boolean;
  /**
   * Calls `listener` once, when the call is cancelled; the function returned stops listening.
   * Never called for a call cancelled already: check `cancelled` first.
   */
  onCancel(listener: () => void): () => void;
}

/** The cancellation of a call whose emitter says "cancelled" (a grpc-js server call). */
export function cancellationOf(call: EventEmitter & { readonly cancelled: boolean }): CallCancellation {
  return {
    get cancelled() {
      return call.cancelled;
    },
    onCancel(listener) {
      call.once("cancelled", listener);
      return () => call.removeListener("cancelled", listener);
    },
  };
}

/** A cancellation fired by hand: for callers without a gRPC call, and tests. */
export function cancellationSource(): { cancellation: CallCancellation; cancel(): void } {
  const emitter = Object.assign(new EventEmitter(), { cancelled: false });
  return {
    cancellation: cancellationOf(emitter),
    cancel() {
      if (emitter.cancelled) return;
      emitter.cancelled = true;
      emitter.emit("cancelled");
    },
  };
}

export function cancelledWhileWaiting(what: string): ServiceError {
  return new ServiceError({
    reason: "CANCELLED",
    message: `the call was cancelled while it waited for ${what}; nothing was written, retry with the same request_id`,
  });
}
