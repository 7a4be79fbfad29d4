import { describe, expect, it } from "vitest";
import { ProtoMessage } from "@pixellm/protobuf";
import {
  TokenizerError,
  readSentencePieceModel,
  tinySentencePieceModel,
  writeSentencePieceModel,
} from "../src";
import type { SentencePieceModel } from "../src";

const model = tinySentencePieceModel();

function variant(change: (m: SentencePieceModel) => SentencePieceModel): Promise<Uint8Array> {
  return writeSentencePieceModel(change(model));
}

describe("tokenizer.model reading and writing", () => {
  it("round-trips every piece and setting through the protobuf encoding", async () => {
    const bytes = await writeSentencePieceModel(model);
    const back = readSentencePieceModel(bytes);
    expect(back.pieces).toEqual(model.pieces);
    expect(back.trainerSpec).toEqual(model.trainerSpec);
    expect(back.normalizerSpec).toEqual(model.normalizerSpec);
    expect([...(await writeSentencePieceModel(back))]).toEqual([...bytes]);
  });

  it("reads proto2 defaults for absent fields (remove_extra_whitespaces defaults to true)", () => {
    const piece = (text: string, type?: number): ProtoMessage => {
      const m = new ProtoMessage().string(1, text).float(2, -1.5);
      return type === undefined ? m : m.varint(3, type);
    };
    const proto = new ProtoMessage()
      .message(1, piece("<unk>", 2))
      .message(1, piece("▁a"))
      .message(2, new ProtoMessage().varint(3, 2))
      .message(3, new ProtoMessage());
    return proto.toBytes().then((bytes) => {
      const m = readSentencePieceModel(bytes);
      expect(m.pieces[1]).toEqual({ piece: "▁a", score: -1.5, type: "normal" });
      expect(m.normalizerSpec.removeExtraWhitespaces).toBe(true);
      expect(m.normalizerSpec.addDummyPrefix).toBe(true);
      expect(m.trainerSpec.byteFallback).toBe(false);
      expect(m.trainerSpec.padId).toBe(-1);
    });
  });

  it("refuses bytes that are not a protobuf model, naming the file", () => {
    const garbage = Uint8Array.from([0x0a, 0xff, 0xff, 0x01, 0x02]);
    expect(() => readSentencePieceModel(garbage, "/m/tokenizer.model")).toThrow(TokenizerError);
    expect(() => readSentencePieceModel(garbage, "/m/tokenizer.model")).toThrow(
      /\/m\/tokenizer\.model is not a SentencePiece model/,
    );
    expect(() => readSentencePieceModel(new Uint8Array(0))).toThrow(/tokenizer\.model: has no pieces/);
  });

  it("refuses a truncated model", async () => {
    const bytes = await writeSentencePieceModel(model);
    expect(() => readSentencePieceModel(bytes.subarray(0, bytes.byteLength - 7))).toThrow(
      /not a SentencePiece model \(protobuf decoding failed/,
    );
  });

  it("refuses non-BPE models", async () => {
    const unigram = await variant((m) => ({ ...m, trainerSpec: { ...m.trainerSpec, modelType: "unigram" } }));
    expect(() => readSentencePieceModel(unigram)).toThrow(/is a UNIGRAM model; only BPE models/);
  });

  it("refuses what sentencepiece itself rejects", async () => {
    const noFallback = await variant((m) => ({
      ...m,
      trainerSpec: { ...m.trainerSpec, byteFallback: false },
    }));
    expect(() => readSentencePieceModel(noFallback)).toThrow(
      /byte piece <0x00> is found although byte_fallback is false/,
    );

    const duplicate = await variant((m) => ({ ...m, pieces: [...m.pieces, m.pieces[300]!] }));
    expect(() => readSentencePieceModel(duplicate)).toThrow(/is already defined/);

    const noUnk = await variant((m) => ({ ...m, pieces: m.pieces.slice(1) }));
    expect(() => readSentencePieceModel(noUnk)).toThrow(/defines no unknown piece/);

    const missingByte = await variant((m) => ({
      ...m,
      pieces: m.pieces.filter((p) => p.piece !== "<0x41>"),
    }));
    expect(() => readSentencePieceModel(missingByte)).toThrow(/only 255 of the 256 byte pieces/);

    const empty = await variant((m) => ({
      ...m,
      pieces: [m.pieces[0]!, { piece: "", score: 0, type: "normal" }],
    }));
    expect(() => readSentencePieceModel(empty)).toThrow(/piece 1 is empty/);
  });

  it("refuses custom normalisation rules it cannot reproduce", async () => {
    const nfkc = await variant((m) => ({
      ...m,
      normalizerSpec: {
        ...m.normalizerSpec,
        name: "nmt_nfkc",
        precompiledCharsmap: Uint8Array.from([1, 2, 3, 4, 5]),
      },
    }));
    expect(() => readSentencePieceModel(nfkc)).toThrow(/normalization rules \("nmt_nfkc"/);
  });
});
