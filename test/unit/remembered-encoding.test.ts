// A response encoded once to be stored goes out as those bytes; others are encoded as before.
import { describe, expect, it } from "vitest";
import { rememberEncoding, rememberedEncoding } from "../../src/core/message-encoding.js";
import { reuseRememberedEncodings } from "../../src/grpc/remembered-encoding.js";
import { ReservationServiceService, ReserveResponse } from "../../src/gen/inventory/v1/reservation_service.js";

const serialize = reuseRememberedEncodings(ReservationServiceService).reserve.responseSerialize;
const response = (id: string): ReserveResponse => ReserveResponse.fromPartial({ reservation: { reservationId: id, orderId: "order-1" } });

describe("reuseRememberedEncodings", () => {
  it("sends the remembered bytes of a response, not a new encoding", () => {
    const message = response("r-1");
    // Bytes that are not the message's encoding: only reuse can put them on the wire.
    const marker = Buffer.from(ReserveResponse.encode(response("r-remembered")).finish());
    rememberEncoding(message, marker);
    expect(Buffer.compare(serialize(message), marker)).toBe(0);
  });

  it("encodes a response nothing was remembered for with the generated serializer", () => {
    const message = response("r-2");
    expect(rememberedEncoding(message)).toBeUndefined();
    expect(Buffer.compare(serialize(message), ReservationServiceService.reserve.responseSerialize(message))).toBe(0);
  });

  it("remembers per object: an equal copy is encoded afresh", () => {
    const message = response("r-3");
    rememberEncoding(message, Buffer.from([1, 2, 3]));
    expect(rememberedEncoding({ ...message })).toBeUndefined();
    expect([...serialize({ ...message })]).toEqual([...ReserveResponse.encode(message).finish()]);
  });
});
