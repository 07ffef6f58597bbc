"""Rewrite a Parquet footer (Thrift compact FileMetaData) to reproduce reader bugs.

A minimal generic Thrift compact-protocol decoder/encoder: structs are lists of
[field_id, type, value], lists are (element_type, [values]). Used by the tests to make
pyarrow-written files carry footer quirks that pyarrow cannot write itself."""
import struct

T_TRUE, T_FALSE, T_I8, T_I16, T_I32, T_I64, T_DOUBLE, T_BIN, T_LIST, T_SET, T_MAP, T_STRUCT = range(1, 13)

class Reader:
    def __init__(self, buf): self.buf, self.pos = buf, 0
    def byte(self):
        b = self.buf[self.pos]; self.pos += 1; return b
    def varint(self):
        r = s = 0
        while True:
            b = self.byte(); r |= (b & 0x7F) << s; s += 7
            if not b & 0x80: return r
    def zz(self): n = self.varint(); return (n >> 1) ^ -(n & 1)
    def value(self, t):
        if t in (T_TRUE, T_FALSE): return t == T_TRUE
        if t == T_I8: return struct.unpack('b', bytes([self.byte()]))[0]
        if t in (T_I16, T_I32, T_I64): return self.zz()
        if t == T_DOUBLE:
            v = struct.unpack('<d', self.buf[self.pos:self.pos + 8])[0]; self.pos += 8; return v
        if t == T_BIN:
            n = self.varint(); v = self.buf[self.pos:self.pos + n]; self.pos += n; return bytes(v)
        if t in (T_LIST, T_SET):
            h = self.byte(); n, et = h >> 4, h & 0xF
            if n == 15: n = self.varint()
            if et in (T_TRUE, T_FALSE):
                return (et, [self.byte() == 1 for _ in range(n)])
            return (et, [self.value(et) for _ in range(n)])
        if t == T_STRUCT: return self.struct()
        raise ValueError(f'thrift type {t} not handled')
    def struct(self):
        fields, last = [], 0
        while True:
            h = self.byte()
            if h == 0: return fields
            d, t = h >> 4, h & 0xF
            fid = last + d if d else self.zz()
            fields.append([fid, t, self.value(t)]); last = fid

def uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F; n >>= 7
        if n: out.append(b | 0x80)
        else: out.append(b); return bytes(out)
def zz(n): return uvarint((n << 1) ^ (n >> 63))

def enc_value(t, v):
    if t in (T_TRUE, T_FALSE): return b''
    if t == T_I8: return struct.pack('b', v)
    if t in (T_I16, T_I32, T_I64): return zz(v)
    if t == T_DOUBLE: return struct.pack('<d', v)
    if t == T_BIN: return uvarint(len(v)) + v
    if t in (T_LIST, T_SET):
        et, items = v
        head = bytes([(len(items) << 4) | et]) if len(items) < 15 else bytes([0xF0 | et]) + uvarint(len(items))
        if et in (T_TRUE, T_FALSE): return head + bytes(1 if x else 2 for x in items)
        return head + b''.join(enc_value(et, x) for x in items)
    if t == T_STRUCT: return enc_struct(v)
    raise ValueError(t)

def enc_struct(fields):
    out, last = bytearray(), 0
    for fid, t, v in sorted(fields, key=lambda f: f[0]):
        if t in (T_TRUE, T_FALSE): t = T_TRUE if v else T_FALSE
        d = fid - last
        out += bytes([(d << 4) | t]) if 0 < d <= 15 else bytes([t]) + zz(fid)
        out += enc_value(t, v); last = fid
    out.append(0)
    return bytes(out)

def field(fields, fid):
    return next((f for f in fields if f[0] == fid), None)

def edit_footer(path, out, fn):
    data = open(path, 'rb').read()
    n = struct.unpack('<I', data[-8:-4])[0]
    meta = Reader(data[-8 - n:-8]).struct()
    fn(meta)
    new = enc_struct(meta)
    open(out, 'wb').write(data[:-8 - n] + new + struct.pack('<I', len(new)) + b'PAR1')

def column_metas(meta):
    """Every ColumnMetaData struct: FileMetaData.4 (row groups) -> RowGroup.1 (columns) -> ColumnChunk.3."""
    for rg in field(meta, 4)[2][1]:
        for cc in field(rg, 1)[2][1]:
            yield field(cc, 3)[2]
