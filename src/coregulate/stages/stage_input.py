"""A stage's input: every message of its topics once, in the order the hub recorded them.

PUB/SUB loses what the hub publishes before a subscription reaches it: a stage
that starts late or restarts, or one whose hub restarted (it reconnects after the
new hub already published the producers' resends). Then the stage's metrics would
miss beats and differ from a clean run. So the input catches up through the hub's
replay from the file (`coregulate.bus.replay`):

- at start, and whenever the subscriber reconnects (a restarted hub), and at the
  end before the stage's last outputs,
- and whenever a stream's sequence jumps (messages may have been lost),

the stage first makes sure its subscription is live (its hello comes back through
the hub, so everything recorded before is committed and everything after reaches
it), then takes every recorded message it has not taken, in the file's order, and
only then goes on with the live stream, skipping what it already took. The hub
publishes only committed messages, in commit order, so the stage's input is the
file's order exactly: a restarted stage, fed the whole file, recomputes the same
outputs with the same sequence numbers, and the hub keeps the ones it already has.

What the stage took is a set per stream, not a high mark: after a hub restart a
producer's resend can be recorded after newer messages of its stream, and the
stage takes it there, as a reading of the file does.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator

import zmq
from zmq.utils.monitor import recv_monitor_message

from coregulate.bus.envelope import TOPIC_STATUS, Message
from coregulate.bus.producer import BusProducer
from coregulate.bus.replay import ReplayClient, StreamKey
from coregulate.bus.sequences import SeqSet
from coregulate.bus.subscriber import BusSubscriber

log = logging.getLogger(__name__)

HELLO_EVERY_S = 0.2  # how often the hello is sent again until it comes back


def hello_topic(source: str, incarnation: int = 0) -> str:
    """Return the topic of a stage's hello: a restarted stage (same source) takes a new one.

    The hub keeps the first message of each (source, topic, seq) only; a restarted
    stage's hello under the old topic would repeat seq 1 and never come back.
    """
    base = f"{TOPIC_STATUS}.{source}"
    return base if not incarnation else f"{base}.{incarnation}"


def wait_until_subscribed(
    producer: BusProducer, subscriber: BusSubscriber, timeout_s: float = 30.0
) -> bool:
    """Return True once a hello sent through the hub comes back to `subscriber`.

    For a subscriber that needs no catch-up (the LSL bridge); a stage's input does
    this itself and keeps what arrives meanwhile (`StageInput.subscribe`).
    """
    topic = hello_topic(producer.source)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        hello = producer.send(topic, {"status": "ready"}, 0)
        end = time.monotonic() + HELLO_EVERY_S
        while time.monotonic() < end:
            producer.pump()
            msg = subscriber.recv(timeout_ms=20)
            if msg is not None and msg.stream == hello.stream and msg.seq == hello.seq:
                return True
    return False


class StageInput:
    """Yields what a stage must process, each recorded message once, in recorded order.

    Parameters
    ----------
    topics
        The stage's topic prefixes.
    producer, subscriber
        The stage's bus sockets (the subscriber also takes `hello`'s topic).
    replay
        Asks the hub for what the subscriber missed.
    hello
        The topic of this stage's hello (`hello_topic`).
    """

    def __init__(
        self,
        topics: tuple[str, ...],
        producer: BusProducer,
        subscriber: BusSubscriber,
        replay: ReplayClient,
        hello: str,
    ) -> None:
        self.topics = topics
        self._producer = producer
        self._sub = subscriber
        self._replay = replay
        self._hello = hello
        self._taken: dict[StreamKey, SeqSet] = {}
        self._early: deque[Message] = deque()  # arrived while waiting for the hello
        self._monitor = subscriber.socket.get_monitor_socket(zmq.EVENT_CONNECTED)
        self._connects = 0
        self.catch_ups = 0
        self.replayed = 0  # messages taken from the replay

    def subscribe(self, timeout_s: float = 30.0) -> bool:
        """Return True once a hello sent through the hub came back (the subscription is live)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            hello = self._producer.send(self._hello, {"status": "ready"}, 0)
            end = time.monotonic() + HELLO_EVERY_S
            while time.monotonic() < end:
                self._producer.pump()
                msg = self._sub.recv(timeout_ms=20)
                if msg is None:
                    continue
                if msg.stream == hello.stream and msg.seq == hello.seq:
                    return True
                if msg.topic != self._hello:  # statuses it subscribes to are input
                    self._early.append(msg)
        return False

    def catch_up(self, timeout_s: float = 30.0) -> Iterator[Message]:
        """Yield every recorded message not yet taken, in recorded order (hub replay).

        Raises ReplayUnavailable if the hub does not answer; a subscription that
        cannot be confirmed within `timeout_s` is logged and the replay is asked
        for anyway (the hub may be restarting).
        """
        self.catch_ups += 1
        self._reconnected()  # this catch-up covers any reconnection so far
        if not self.subscribe(timeout_s):
            log.error("could not confirm the subscription to the hub; replaying anyway")
        for msg in self._replay.messages(self.topics, self._taken, self._replay.covered_id):
            if self._take(msg):
                self.replayed += 1
                yield msg
        while self._early:
            msg = self._early.popleft()
            if self._take(msg):
                yield msg

    def next(self, timeout_ms: int) -> Iterator[Message]:
        """Yield the next message(s) to process: live, or a catch-up when something was missed."""
        if self._reconnected():
            log.warning("reconnected to the hub; taking what it recorded meanwhile")
            yield from self.catch_up()
            return
        msg = self._sub.recv(timeout_ms=timeout_ms)
        if msg is None or msg.topic == self._hello:  # its own hello is no input
            return
        taken = self._taken.get(msg.stream)
        last = taken.mark if taken is not None else 0
        if msg.seq > last + 1 and not (taken and taken.above):
            # Lost on the way, or a later message overtook a resend: either way the
            # file says which, and in which order.
            log.info("%s from %s jumped from seq %d to %d", msg.topic, msg.source, last, msg.seq)
            self._early.append(msg)
            yield from self.catch_up()
        elif self._take(msg):
            yield msg

    def _take(self, msg: Message) -> bool:
        """Return True (and note it) if `msg` is new to the stage; False for one already taken."""
        taken = self._taken.setdefault(msg.stream, SeqSet())
        if taken.has(msg.seq):
            return False
        taken.add(msg.seq)
        return True

    def _reconnected(self) -> bool:
        """Return True if the subscriber connected to a hub again since the last look."""
        again = False
        while self._monitor.poll(0, zmq.POLLIN):
            event = recv_monitor_message(self._monitor)
            if event["event"] == zmq.EVENT_CONNECTED:
                self._connects += 1
                again = again or self._connects > 1
        return again

    def close(self) -> None:
        """Stop monitoring the subscriber (the caller closes its sockets)."""
        self._sub.socket.disable_monitor()
        self._monitor.close(linger=0)
