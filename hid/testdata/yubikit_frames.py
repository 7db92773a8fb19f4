import sys, json
from yubikit.core.otp import OtpConnection
from yubikit.yubiotp import (YubiOtpSession, YubiOtpSlotConfiguration, HotpSlotConfiguration,
    HmacSha1SlotConfiguration, UpdateConfiguration, SLOT)

from yubikit.core.otp import calculate_crc
import struct

class Fake(OtpConnection):
    """A key that takes every write and answers the serial 12345678."""
    def __init__(self, touch):
        self.seq, self.touch, self.reports = 1, touch, []
        self.frame, self.resp, self.idx = bytearray(70), None, 0
    def close(self): pass
    def receive(self):
        if self.resp is not None:
            if self.idx < len(self.resp) // 7:
                r = self.resp[self.idx * 7:(self.idx + 1) * 7] + bytes([0x40 | self.idx])
                self.idx += 1
                return r
            return bytes(7) + bytes([0x40])
        return bytes([0, 5, 4, 3, self.seq, self.touch, 0, 0])
    def send(self, data):
        data = bytes(data)
        self.reports.append(data.hex())
        if data[7] == 0xFF:
            self.resp = None
            return
        i = data[7] & 0x1F
        if i == 0:
            self.frame = bytearray(70)
        self.frame[i * 7:(i + 1) * 7] = data[:7]
        if data[7] == 0x89:
            if self.frame[64] == 0x10:
                d = struct.pack(">I", 12345678)
                d += struct.pack("<H", 0xFFFF & ~calculate_crc(d))
                self.resp, self.idx = d + bytes(-len(d) % 7), 0
            else:
                self.seq += 1

h = bytes.fromhex
out = {}
def run(name, f, touch=3):
    c = Fake(touch)
    s = YubiOtpSession(c)
    c.reports.clear()
    f(s)
    out[name] = c.reports

acc = h("a1a2a3a4a5a6")
def serial(s):
    assert s.get_serial() == 12345678
run("serial", serial)
run("yubiotp", lambda s: s.put_configuration(SLOT.ONE, YubiOtpSlotConfiguration(h("ff0000bc614e"), h("010203040506"), h("000102030405060708090a0b0c0d0e0f")).append_cr(True), None, None))
run("hotp", lambda s: s.put_configuration(SLOT.TWO, HotpSlotConfiguration(b"12345678901234567890").imf(32).token_id(h("e163") + bytes.fromhex(f"{12345678:08}"), False, True).digits8(True).append_cr(True), None, None))
run("chalresp-touch", lambda s: s.put_configuration(SLOT.TWO, HmacSha1SlotConfiguration(h("303132333435363738393a3b3c3d3e3f40414243")).require_touch(True), acc, acc))
run("delete-acc", lambda s: s.delete_slot(SLOT.ONE, acc))
run("swap", lambda s: s.swap_slots())
run("settings", lambda s: s.update_configuration(SLOT.ONE, UpdateConfiguration().append_cr(False), h("b1b2b3b4b5b6"), acc))
json.dump(out, sys.stdout)
