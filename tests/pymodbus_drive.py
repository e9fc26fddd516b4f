#!/usr/bin/python3
"""A reference drive of CHAIR.md emulated with Debian's python3-pymodbus: Modbus software
written elsewhere, for the interoperability test (chaird drives it over TCP).

Each drive unit has holding registers 0..5 (control, target_position, target_velocity,
target_force, current_limit_ma, comm_timeout_ms), input registers 0..6 (status,
actual_position, actual_velocity, actual_current_ma, actual_force, fault_code, temperature)
and their mirror at holding 6..12 for function 23. The "drive" is ideal: enabled when told,
at its target position at once in position mode, pressing with its target force in force
mode. Every write is logged as one line to --log (or stdout):

    write unit=2 addr=0 values=5,65215,65036,0,4000,200

With --io and --dio it also answers as the IO module (supply 24.0 V, backrest 105.0 deg,
legrest 10.0 deg, the rest 0) and the digital IO module (estop_n released, occupied; coil
writes logged), so a controller that needs every unit of the chair can run against it.

Usage: pymodbus_drive.py --port 1502 [--units 1,2,3,4,5] [--io 6] [--dio 7] [--log FILE]
                         [--status-fd FD]
Run with /usr/bin/python3 (Debian's pymodbus 3.0 imports there).
"""
import argparse
import os
import sys

from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                ModbusSlaveContext)
from pymodbus.server import StartTcpServer

HOLD_REGS = 6
IN_REGS = 7
MIRROR = HOLD_REGS  # function 23 reads the inputs at holding 6..12


class Drive(ModbusSlaveContext):
    """One drive: writes to its holding registers move it, and are logged."""

    def __init__(self, unit, log):
        super().__init__(
            hr=ModbusSequentialDataBlock(0, [0] * (HOLD_REGS + IN_REGS)),
            ir=ModbusSequentialDataBlock(0, [0] * IN_REGS),
            di=ModbusSequentialDataBlock(0, [0]),
            co=ModbusSequentialDataBlock(0, [0]),
            zero_mode=True)
        self.unit = unit
        self.log = log
        self.update()

    def setValues(self, fc_as_hex, address, values):
        super().setValues(fc_as_hex, address, values)
        if fc_as_hex in (6, 16, 23):
            self.log.write("write unit=%d addr=%d values=%s\n"
                           % (self.unit, address, ",".join(str(v) for v in values)))
            self.log.flush()
            self.update()

    def update(self):
        hold = super().getValues(3, 0, HOLD_REGS)
        control, position, velocity, force = hold[0], hold[1], hold[2], hold[3]
        enabled = control & 1
        mode = (control >> 2) & 3
        status = 1 | (2 if enabled else 0) | (16 if enabled else 0)
        actual_force = force if enabled and mode == 2 else 0
        inputs = [status, position if enabled and mode == 1 else 0,
                  velocity if enabled and mode == 0 else 0, 500 if enabled else 0,
                  actual_force, 0, 300]
        super().setValues(4, 0, inputs)
        super().setValues(3, MIRROR, inputs)


class Module(ModbusSlaveContext):
    """The IO or DIO module: fixed inputs; coil writes are logged."""

    def __init__(self, unit, log, ir=(), di=(), coils=0):
        super().__init__(
            hr=ModbusSequentialDataBlock(0, [0]),
            ir=ModbusSequentialDataBlock(0, list(ir) or [0]),
            di=ModbusSequentialDataBlock(0, list(di) or [0]),
            co=ModbusSequentialDataBlock(0, [0] * max(coils, 1)),
            zero_mode=True)
        self.unit = unit
        self.log = log

    def setValues(self, fc_as_hex, address, values):
        super().setValues(fc_as_hex, address, values)
        if fc_as_hex in (5, 15):
            self.log.write("coils unit=%d addr=%d values=%s\n"
                           % (self.unit, address, ",".join(str(int(v)) for v in values)))
            self.log.flush()


IO_INPUTS = [0] * 6 + [250, 250, 1050, 100, 240, 0, 0, 0, 0]
DIO_INPUTS = [1, 1, 0, 0, 0, 0, 0, 0, 0]  # estop_n high (released), occupied


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--units", default="1,2,3,4,5")
    ap.add_argument("--io", type=int)
    ap.add_argument("--dio", type=int)
    ap.add_argument("--log")
    ap.add_argument("--status-fd", type=int)
    args = ap.parse_args()
    log = open(args.log, "a") if args.log else sys.stdout
    units = [int(u) for u in args.units.split(",")]
    slaves = {u: Drive(u, log) for u in units}
    if args.io is not None:
        slaves[args.io] = Module(args.io, log, ir=IO_INPUTS)
    if args.dio is not None:
        slaves[args.dio] = Module(args.dio, log, di=DIO_INPUTS, coils=17)
    context = ModbusServerContext(slaves=slaves, single=False)
    if args.status_fd is not None:
        os.write(args.status_fd, b"listening\n")
        os.close(args.status_fd)
    StartTcpServer(context=context, address=(args.host, args.port))


if __name__ == "__main__":
    main()
