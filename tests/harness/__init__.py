"""The test harness every test file builds on (issue 14 item 6).

* :mod:`harness.bodies`: the wire bodies, written from the documented format (SSE events,
  ``chat.completion`` and ``chat.completion.chunk`` objects, usage, tool calls, error objects).
* :mod:`harness.scripted`: an ``httpx.MockTransport`` server that plays scripted answers in
  order and records the requests, and response bodies served piece by piece.
* :mod:`harness.flavors`: the one sync/async abstraction: a :class:`~harness.flavors.Flavor`
  (the sync client, or the async client on asyncio or trio) and a :class:`~harness.flavors.Mode`
  (a flavor through ``gen_sync`` or ``gen_stream``), with helpers that run a call the same way
  for every flavor.
* :mod:`harness.loopback`: real servers on 127.0.0.1 with a bounded lifetime: an HTTP server
  answering through a handler function, and an asyncio one for byte-level faults.
* :mod:`harness.chat`: the scripted chat server of the feature tests (tools, structured output,
  reasoning, logprobs...), built from the pieces above.

Expected values in tests are written from the wire format and the docs, never taken from the
library's output; these helpers only build inputs and run calls.
"""
