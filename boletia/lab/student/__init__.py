"""The student track: the practice cases that give instant feedback (`practice`), the sandbox a
submission runs in (`sandbox`), and the grader (`grading`). The reference solution and the
grader's own cases are not here: they are in the instructor's folder, `instructor/`."""
