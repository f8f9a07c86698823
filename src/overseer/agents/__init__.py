"""Harness adapters: one module per agent CLI, chosen by name through ``registry``."""
