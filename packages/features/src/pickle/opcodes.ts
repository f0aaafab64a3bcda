/**
 * The pickle opcodes the reader and the writer use, named as in CPython's Lib/pickletools.py (the protocol in which
 * each appeared in brackets). Text protocols 0-1 opcodes that only old pickles use are left out: the reader
 * refuses them as unsupported.
 */
export const Op = {
  // Framing and control.
  PROTO: 0x80, // [2]
  FRAME: 0x95, // [4]
  STOP: 0x2e, // '.'
  MARK: 0x28, // '('
  POP: 0x30, // '0'
  POP_MARK: 0x31, // '1'
  DUP: 0x32, // '2'

  // Memo.
  MEMOIZE: 0x94, // [4]
  PUT: 0x70, // 'p'
  BINPUT: 0x71, // 'q'
  LONG_BINPUT: 0x72, // 'r'
  GET: 0x67, // 'g'
  BINGET: 0x68, // 'h'
  LONG_BINGET: 0x6a, // 'j'

  // Scalars.
  NONE: 0x4e, // 'N'
  NEWTRUE: 0x88, // [2]
  NEWFALSE: 0x89, // [2]
  BININT1: 0x4b, // 'K'
  BININT2: 0x4d, // 'M'
  BININT: 0x4a, // 'J'
  LONG1: 0x8a, // [2]
  LONG4: 0x8b, // [2]
  BINFLOAT: 0x47, // 'G'

  // Text and bytes.
  SHORT_BINUNICODE: 0x8c, // [4]
  BINUNICODE: 0x58, // 'X'
  BINUNICODE8: 0x8d, // [4]
  SHORT_BINSTRING: 0x55, // 'U', Python 2 str
  BINSTRING: 0x54, // 'T', Python 2 str
  SHORT_BINBYTES: 0x43, // 'C' [3]
  BINBYTES: 0x42, // 'B' [3]
  BINBYTES8: 0x8e, // [4]
  BYTEARRAY8: 0x96, // [5]
  NEXT_BUFFER: 0x97, // [5]
  READONLY_BUFFER: 0x98, // [5]

  // Containers.
  EMPTY_DICT: 0x7d, // '}'
  EMPTY_LIST: 0x5d, // ']'
  EMPTY_TUPLE: 0x29, // ')'
  EMPTY_SET: 0x8f, // [4]
  TUPLE1: 0x85, // [2]
  TUPLE2: 0x86, // [2]
  TUPLE3: 0x87, // [2]
  TUPLE: 0x74, // 't'
  LIST: 0x6c, // 'l'
  DICT: 0x64, // 'd'
  FROZENSET: 0x91, // [4]
  SETITEM: 0x73, // 's'
  SETITEMS: 0x75, // 'u'
  APPEND: 0x61, // 'a'
  APPENDS: 0x65, // 'e'
  ADDITEMS: 0x90, // [4]

  // Objects: globals are resolved through allowlist.ts only.
  GLOBAL: 0x63, // 'c'
  STACK_GLOBAL: 0x93, // [4]
  REDUCE: 0x52, // 'R'
  NEWOBJ: 0x81, // [2]
  NEWOBJ_EX: 0x92, // [4]
  BUILD: 0x62, // 'b'
} as const;
