// A call given up while it waited for its turn (its client cancelled it, or its deadline passed):
// it leaves the queue without running, so under overload the service does not spend a batch on
// answers nobody is waiting for. A call that has started runs to its end: its write is whole or
// nothing, and a retry with the same request_id gets its answer.
import { ServiceError } from "../core/failure.js";

export function cancelledWhileWaiting(what: string): ServiceError {
  return new ServiceError({
    reason: "CANCELLED",
    message: `the call was cancelled while it waited for ${what}; nothing was written, retry with the same request_id`,
  });
}
