"""Lesson 02: the answers (show them after the lesson; boletia/lab/exercises/lesson02.py checks the first).

`change`: the one setting to change in the seed's sink (connect/seed/mongo-sink.json): update the
event's fields in place instead of replacing the document (UpdateOneTimestampsStrategy is right too).
`predicted_reservations`: in the seed, only the second customer's reservation is written."""

change = {"writemodel.strategy":
          "com.mongodb.kafka.connect.sink.writemodel.strategy.UpdateOneDefaultStrategy"}
predicted_reservations = ["second"]

QUESTIONS = {
    1: "`estado` only (the sink $sets every field, and MongoDB records just the ones that changed).",
    2: "Without the envelope there is no updateDescription: only the (possibly newer) document is left.",
}
