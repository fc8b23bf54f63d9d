//! Loom models of the task state machine (written by the loom work).
