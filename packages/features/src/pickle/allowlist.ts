/**
 * SECURITY BOUNDARY: the only Python globals a pickle may name. Pickle's GLOBAL / STACK_GLOBAL opcodes name any
 * importable callable and REDUCE / NEWOBJ call it, which is how a malicious pickle runs code; the reader resolves
 * every global through lookupGlobal here and refuses all others. Each entry below is a small JS function that
 * builds plain data (numpy arrays, dtypes and scalars, builtin containers, bytes) from plain arguments: none
 * imports, evaluates or calls anything by name. Review any change to this file as a security change; the
 * reader's tests include pickles that try os.system and builtins.eval.
 */
import { fail } from './input';
import { PyDType, arrayFromBuffer, emptyArray, scalarValue } from './numpy';
import { keyOf, latin1BytesOf, textOf } from './text';
import { describePy } from './values';

/** An allowed global; calling it (REDUCE / NEWOBJ) builds a value from plain arguments. */
export class PyCallable {
  constructor(
    readonly qualifiedName: string,
    readonly call: (args: unknown[]) => unknown,
  ) {}
}

function itemsOf(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (value instanceof Set) return [...value];
  fail(`${what} expects a list, tuple or set, got ${describePy(value)}`);
}

function noArguments(name: string, build: () => unknown): (args: unknown[]) => unknown {
  return (args) => {
    if (args.length > 0) fail(`${name} called with arguments is not supported`);
    return build();
  };
}

function encode(args: unknown[]): Uint8Array {
  const [text, encoding = 'utf-8'] = args;
  const name = String(encoding).toLowerCase().replace('_', '-');
  if (name === 'latin1' || name === 'latin-1' || name === 'iso-8859-1') {
    return latin1BytesOf(text) ?? fail(`_codecs.encode expects a str, got ${describePy(text)}`);
  }
  if (name === 'utf-8' || name === 'utf8') {
    return new TextEncoder().encode(textOf(text) ?? fail(`_codecs.encode expects a str, got ${describePy(text)}`));
  }
  return fail(`_codecs.encode with encoding ${String(encoding)} is not supported`);
}

function buildAllowList(): Map<string, PyCallable> {
  const allowed = new Map<string, PyCallable>();
  const add = (names: string[], call: (args: unknown[]) => unknown): void => {
    for (const name of names) allowed.set(name, new PyCallable(name, call));
  };
  const numpy = (module: string, name: string): string[] => [`numpy.core.${module}.${name}`, `numpy._core.${module}.${name}`];
  const builtin = (name: string): string[] => [`builtins.${name}`, `__builtin__.${name}`];

  add(numpy('multiarray', '_reconstruct'), ([subtype]) => {
    if (!(subtype instanceof PyCallable) || subtype.qualifiedName !== 'numpy.ndarray') {
      fail('numpy _reconstruct is only supported for numpy.ndarray (not subclasses such as matrix or masked arrays)');
    }
    return emptyArray();
  });
  add(numpy('multiarray', 'scalar'), (args) => scalarValue(args, latin1BytesOf));
  add(numpy('numeric', '_frombuffer'), arrayFromBuffer);
  add(['numpy.ndarray'], () => fail('numpy.ndarray can only be rebuilt through _reconstruct'));
  add(['numpy.dtype'], ([typeString]) => new PyDType(textOf(typeString) ?? fail('numpy.dtype expects a type string')));
  add(['_codecs.encode'], encode);
  for (const name of ['set', 'frozenset']) {
    add(builtin(name), ([items]) => new Set(items === undefined ? [] : itemsOf(items, name).map(keyOf)));
  }
  add(builtin('list'), ([items]) => (items === undefined ? [] : [...itemsOf(items, 'list')]));
  add(builtin('dict'), noArguments('dict', () => new Map()));
  add(builtin('object'), noArguments('object', () => new Map()));
  add(['collections.OrderedDict'], noArguments('OrderedDict', () => new Map()));
  for (const name of ['bytes', 'bytearray']) {
    add(builtin(name), (args) => {
      if (args.length === 0) return new Uint8Array(0);
      const [source] = args;
      if (args.length === 2) return encode(args);
      if (source instanceof Uint8Array) return source.slice();
      if (Array.isArray(source) && source.every((byte) => Number.isInteger(byte) && byte >= 0 && byte < 256)) return Uint8Array.from(source);
      return fail(`${name}(${describePy(source)}) is not supported`);
    });
  }
  return allowed;
}

const ALLOWED_GLOBALS = buildAllowList();

/** The reader's only way to resolve GLOBAL / STACK_GLOBAL: an allowed callable, or a refusal naming the global. */
export function lookupGlobal(module: string, name: string): PyCallable {
  const callable = ALLOWED_GLOBALS.get(`${module}.${name}`);
  if (!callable) fail(`refusing pickle global ${module}.${name}: only numpy arrays and builtin containers are allowed`);
  return callable;
}
