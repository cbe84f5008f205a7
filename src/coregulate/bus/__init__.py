"""The session bus: envelope, reliable producer, loss-aware subscriber (docs/protocol.md).

Import from the submodules (`bus.envelope`, `bus.producer`, `bus.subscriber`): this
package imports nothing itself, so reading a session file offline never loads
ZeroMQ or asyncio.
"""
