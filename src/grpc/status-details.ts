// google.rpc.Status with ErrorInfo and BadRequest details, encoded by hand: three small messages
// do not justify vendoring google/rpc protos into the buf module (toolchain.md).
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";

export const errorInfoTypeUrl = "type.googleapis.com/google.rpc.ErrorInfo";
export const badRequestTypeUrl = "type.googleapis.com/google.rpc.BadRequest";

export interface ErrorInfo { reason: string; domain: string; metadata: Record<string, string> }
export interface FieldViolationDetail { field: string; description: string; reason: string }
export interface StatusDetails { code: number; message: string; errorInfo?: ErrorInfo; fieldViolations?: FieldViolationDetail[] }

function encodeErrorInfo(info: ErrorInfo): Uint8Array {
  const w = new BinaryWriter();
  w.uint32(10).string(info.reason);
  w.uint32(18).string(info.domain);
  for (const [key, value] of Object.entries(info.metadata)) {
    w.uint32(26).fork().uint32(10).string(key).uint32(18).string(value).join();
  }
  return w.finish();
}

function encodeBadRequest(violations: FieldViolationDetail[]): Uint8Array {
  const w = new BinaryWriter();
  for (const v of violations) {
    w.uint32(10).fork().uint32(10).string(v.field).uint32(18).string(v.description).uint32(26).string(v.reason).join();
  }
  return w.finish();
}

/** Encodes the value of the grpc-status-details-bin trailer. */
export function encodeStatus(details: StatusDetails): Buffer {
  const w = new BinaryWriter();
  w.uint32(8).int32(details.code);
  w.uint32(18).string(details.message);
  const anys: [string, Uint8Array][] = [];
  if (details.errorInfo) anys.push([errorInfoTypeUrl, encodeErrorInfo(details.errorInfo)]);
  if (details.fieldViolations?.length) anys.push([badRequestTypeUrl, encodeBadRequest(details.fieldViolations)]);
  for (const [typeUrl, value] of anys) w.uint32(26).fork().uint32(10).string(typeUrl).uint32(18).bytes(value).join();
  return Buffer.from(w.finish());
}

/** Decodes grpc-status-details-bin; for clients and tests. */
export function decodeStatus(bytes: Uint8Array): StatusDetails {
  const r = new BinaryReader(bytes);
  const status: StatusDetails = { code: 0, message: "" };
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1) status.code = r.int32();
    else if (field === 2) status.message = r.string();
    else if (field === 3) {
      const any = new BinaryReader(r.bytes());
      let typeUrl = "";
      let value: Uint8Array = new Uint8Array();
      while (any.pos < any.len) {
        const [f] = any.tag();
        if (f === 1) typeUrl = any.string();
        else value = any.bytes();
      }
      if (typeUrl === errorInfoTypeUrl) status.errorInfo = decodeErrorInfo(value);
      if (typeUrl === badRequestTypeUrl) status.fieldViolations = decodeBadRequest(value);
    } else r.skip(wireType);
  }
  return status;
}

function decodeErrorInfo(bytes: Uint8Array): ErrorInfo {
  const r = new BinaryReader(bytes);
  const info: ErrorInfo = { reason: "", domain: "", metadata: {} };
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1) info.reason = r.string();
    else if (field === 2) info.domain = r.string();
    else if (field === 3) {
      const entry = new BinaryReader(r.bytes());
      let key = "";
      let value = "";
      while (entry.pos < entry.len) {
        const [f] = entry.tag();
        if (f === 1) key = entry.string();
        else value = entry.string();
      }
      info.metadata[key] = value;
    } else r.skip(wireType);
  }
  return info;
}

function decodeBadRequest(bytes: Uint8Array): FieldViolationDetail[] {
  const r = new BinaryReader(bytes);
  const violations: FieldViolationDetail[] = [];
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field !== 1) {
      r.skip(wireType);
      continue;
    }
    const v = new BinaryReader(r.bytes());
    const violation: FieldViolationDetail = { field: "", description: "", reason: "" };
    while (v.pos < v.len) {
      const [f, wt] = v.tag();
      if (f === 1) violation.field = v.string();
      else if (f === 2) violation.description = v.string();
      else if (f === 3) violation.reason = v.string();
      else v.skip(wt);
    }
    violations.push(violation);
  }
  return violations;
}
