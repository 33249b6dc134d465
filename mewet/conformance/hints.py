"""What to change on a device whose conformance check failed, by the check's id: the hint
beside each failed verdict in the reports."""

HINTS = {
    "status-online": "Publish `online` on <home>/<device>/status, retained, once connected.",
    "meta-valid": "Publish the device's meta, retained, on connecting (docs/contract.md#meta).",
    "state-valid": "Publish the device's state as JSON, retained, on connecting.",
    "live-messages": "Keep a process running that publishes telemetry at its rate_s.",
    "readings-not-retained": "Publish telemetry and events with retain=false.",
    "payloads-valid": "Validate each message against docs/schema before publishing it.",
    "seq-by-one": "Count seq up by one per telemetry or event message (0 after a restart).",
    "ids-unique": "Give each message a new id (e.g. boot time and seq).",
    "ts-skew": "Synchronise the device's clock (NTP) and write ts in UTC with its Z.",
    "ts-monotonic": "Take ts from a clock that does not go back.",
    "channels-declared": "Declare every channel in meta, with min and max that hold.",
    "events-declared": "Declare every event type the device sends in meta.events.",
    "reporting-period": "Report each channel every rate_s seconds, as meta declares.",
    "commands-answered": "Answer each command within the limit with a command_result event "
    "whose data.ref is the command's id and data.ok is true or false.",
    "command-redelivered": "Answer a command again when it comes again with the same id.",
    "unknown-command-refused": "Answer a command you do not declare with a command_result, "
    "ok false and the reason in detail.",
    "last-will": "Set a Last Will of `offline` on <home>/<device>/status, retained, qos 1.",
    "back-online": "On every connect, publish `online` on <home>/<device>/status, then meta "
    "and state, all retained: the broker published your Will (offline) when it dropped.",
    "reconnect-backoff": "Wait longer before each new try to reconnect (1 s doubling to a "
    "minute or two, with some jitter): a broker coming back is not hammered by every device.",
    "bad-argument-refused": "Check each command's arguments: answer one you do not take with "
    "ok false and the reason in detail, never ignore it.",
    "persistent-session": "Connect with a fixed client id and clean_start=false, and keep the "
    "commands subscription.",
}
