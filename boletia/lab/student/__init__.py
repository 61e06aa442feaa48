"""The student track: the practice cases that give instant feedback (`practice`), the sandbox a
submission runs in (`sandbox`), the design that judges one student function alone under its
scenario (`alone`), the connector level's checks and side-by-side comparison (`connector`),
each exercise's own evidence (`feedback`), and the grader (`grading`). The reference solution
and the grader's own cases are not here: they are in the instructor's folder, `instructor/`."""
