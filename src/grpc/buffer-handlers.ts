// BufferService handlers: parse the request, call the application, wrap the answer.
import type { Logger } from "pino";
import * as parse from "../core/buffer-commands.js";
import { orThrow } from "../core/failure.js";
import type { BufferApp } from "../app/buffers.js";
import type { BufferServiceServer } from "../gen/inventory/v1/buffer_service.js";
import { unary } from "./unary.js";

export function bufferHandlers(app: BufferApp, logger: Logger): BufferServiceServer {
  return {
    listBufferProposals: unary(logger, "ListBufferProposals", (req) => app.list(orThrow(parse.parseListBufferProposals(req)))),
    getBufferProposal: unary(logger, "GetBufferProposal", (req) => app.get(orThrow(parse.parseGetBufferProposal(req)))),
    approveBufferProposal: unary(logger, "ApproveBufferProposal", (req) => app.approve(orThrow(parse.parseApproveBufferProposal(req)))),
    rejectBufferProposal: unary(logger, "RejectBufferProposal", (req) => app.reject(orThrow(parse.parseRejectBufferProposal(req)))),
    overrideBufferProposal: unary(logger, "OverrideBufferProposal", (req) => app.override(orThrow(parse.parseOverrideBufferProposal(req)))),
  };
}
