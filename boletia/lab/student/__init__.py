"""The student track: a design whose decisions come from the student's own file, the cases
that give instant feedback, and the reference solution the lab's tests inject."""
