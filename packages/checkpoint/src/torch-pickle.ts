/**
 * The allow-list that turns a torch.save pickle of a state dict into tensor descriptions
 * (storage key, offset, shape, stride) without running any of it. These are the only globals
 * a state dict pickle (torch ≥ 1.6, save_pretrained included) refers to:
 *   collections.OrderedDict            the dict itself (and each tensor's empty backward hooks)
 *   torch._utils._rebuild_tensor_v2    one tensor: a view of a storage
 *   torch._utils._rebuild_parameter    an nn.Parameter wrapping such a tensor
 *   torch.<Name>Storage                a storage's element type (FloatStorage, BFloat16Storage…)
 * plus BINPERSID ids ('storage', storage_type, key, location, numel) naming the zip entry that
 * holds a storage's bytes.
 */
import type { DType } from "@pixellm/tensor";
import { CheckpointError } from "./errors";
import {
  PickleCallable,
  PickleDict,
  PickleObject,
  PickleTuple,
  type PickleValue,
  type UnpicklePolicy,
  describe,
  unpickle,
} from "./unpickler";

/** Storage types the reader maps to dtypes; other `torch.*Storage` names parse but are refused per tensor. */
export const TORCH_STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  FloatStorage: "float32",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ByteStorage: "uint8",
  BoolStorage: "bool",
};

/** A storage's bytes are the zip entry `<archive>/data/<key>`: `numel` elements of `storageType`. */
export class PickledStorage extends PickleObject {
  readonly description = "a storage";
  constructor(
    /** "BFloat16Storage". */
    readonly storageType: string,
    readonly key: string,
    readonly numel: number,
  ) {
    super();
  }
}

/** A tensor as pickled: a strided view of a storage, offsets and strides in elements. */
export class PickledTensor extends PickleObject {
  readonly description = "a tensor";
  constructor(
    readonly storage: PickledStorage,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {
    super();
  }
}

class StorageType extends PickleObject {
  constructor(readonly name: string) {
    super();
  }
  get description(): string {
    return `torch.${this.name}`;
  }
}

type Fail = (what: string) => CheckpointError;

class OrderedDictClass extends PickleCallable {
  readonly description = "collections.OrderedDict";
  constructor(private readonly fail: Fail) {
    super();
  }
  // pickle gives OrderedDict() no arguments and adds the items with SETITEMS
  call(args: readonly PickleValue[]): PickleValue {
    if (args.length !== 0) throw this.fail(`collections.OrderedDict is called with ${args.length} arguments`);
    return new PickleDict();
  }
}

class RebuildTensor extends PickleCallable {
  readonly description = "torch._utils._rebuild_tensor_v2";
  constructor(private readonly fail: Fail) {
    super();
  }
  // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  call(args: readonly PickleValue[]): PickleValue {
    const [storage, offset, size, stride] = args;
    if (args.length < 6 || args.length > 7 || !(storage instanceof PickledStorage) || !isCount(offset)) {
      throw this.fail(`_rebuild_tensor_v2 gets (${args.map(describe).join(", ")})`);
    }
    const shape = counts(size);
    const strides = counts(stride);
    if (!shape || !strides || shape.length !== strides.length) {
      throw this.fail(
        `_rebuild_tensor_v2 gets size ${describe(size ?? null)} and stride ${describe(stride ?? null)}`,
      );
    }
    return new PickledTensor(storage, offset, shape, strides);
  }
}

class RebuildParameter extends PickleCallable {
  readonly description = "torch._utils._rebuild_parameter";
  constructor(private readonly fail: Fail) {
    super();
  }
  // (data, requires_grad, backward_hooks): the parameter is its data for reading
  call(args: readonly PickleValue[]): PickleValue {
    const data = args[0];
    if (args.length !== 3 || !(data instanceof PickledTensor)) {
      throw this.fail(`_rebuild_parameter gets (${args.map(describe).join(", ")})`);
    }
    return data;
  }
}

function isCount(value: PickleValue | undefined): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function counts(value: PickleValue | undefined): number[] | undefined {
  if (!(value instanceof PickleTuple) || !value.items.every(isCount)) return undefined;
  return value.items as number[];
}

class StateDictPolicy implements UnpicklePolicy {
  readonly allowedGlobals =
    "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.*Storage";
  private readonly storages = new Map<string, PickledStorage>();
  private readonly globals: ReadonlyMap<string, PickleObject>;

  constructor(private readonly fail: Fail) {
    this.globals = new Map<string, PickleObject>([
      ["collections.OrderedDict", new OrderedDictClass(fail)],
      ["torch._utils._rebuild_tensor_v2", new RebuildTensor(fail)],
      ["torch._utils._rebuild_parameter", new RebuildParameter(fail)],
    ]);
  }

  global(module: string, name: string): PickleObject | undefined {
    // only a name: the storage type is never called, just looked up in TORCH_STORAGE_DTYPES
    if (module === "torch" && /^\w+Storage$/.test(name)) return new StorageType(name);
    return this.globals.get(`${module}.${name}`);
  }

  persistentLoad(pid: PickleValue): PickleValue {
    const [tag, type, key, location, numel] = pid instanceof PickleTuple ? pid.items : [];
    if (
      !(pid instanceof PickleTuple) ||
      pid.items.length !== 5 ||
      tag !== "storage" ||
      !(type instanceof StorageType) ||
      typeof key !== "string" ||
      typeof location !== "string" ||
      !isCount(numel)
    ) {
      throw this.fail(`a persistent id is ${describe(pid)}, not ('storage', type, key, location, numel)`);
    }
    const known = this.storages.get(key);
    if (known && (known.storageType !== type.name || known.numel !== numel)) {
      throw this.fail(`storage ${key} is described twice, differently`);
    }
    const storage = known ?? new PickledStorage(type.name, key, numel);
    this.storages.set(key, storage);
    return storage;
  }

  // BUILD reaches a state dict only as the OrderedDict's `_metadata` attribute (module versions),
  // which says nothing about the tensors: it is parsed under the same rules, then dropped
  build(target: PickleValue): void {
    if (!(target instanceof PickleDict)) throw this.fail(`BUILD on ${describe(target)}`);
  }
}

/** The tensors of the state dict pickled in `bytes`, by name; `source` names the pickle in messages. */
export function readStateDict(bytes: Uint8Array, source: string): Map<string, PickledTensor> {
  const fail: Fail = (what) =>
    new CheckpointError("invalid_header", `${source} does not hold a plain state dict: ${what}`);
  const top = unpickle(bytes, source, new StateDictPolicy(fail));
  if (!(top instanceof PickleDict)) {
    throw fail(`the pickle holds ${describe(top)}; torch.save(model.state_dict()) pickles a dict`);
  }
  const tensors = new Map<string, PickledTensor>();
  for (const [name, value] of top.entries) {
    if (typeof name !== "string") throw fail(`a key is ${describe(name)}, not a parameter name`);
    if (!(value instanceof PickledTensor)) throw fail(`entry ${name} is ${describe(value)}, not a tensor`);
    tensors.set(name, value);
  }
  return tensors;
}
