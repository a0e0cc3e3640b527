"""Capability scoreboard: which model does what, sync and stream, as tested.

The schema, the smoke scenarios and the Baseten table arrive with the scoreboard work; this
package is part of the distribution from the start so its import name is reserved.
"""
