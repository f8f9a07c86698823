"""Adapters to other tools' file formats. Pure functions: they read and write files, never a store."""

from overseer.interop.beads import BeadsBatch, dump_beads, parse_beads, read_beads_file, write_beads_file

__all__ = ["BeadsBatch", "dump_beads", "parse_beads", "read_beads_file", "write_beads_file"]
