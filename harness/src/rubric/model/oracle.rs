//! Values labgrade computes itself from the input it gave the program.

/// A value labgrade computes itself from the input it gave the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oracle {
    /// The sum of the generated array (`array-sum`).
    ArraySum,
    /// The generated array with every element negated (`negated-array`).
    NegatedArray,
    /// The wait-for-me message of the seed (`message`).
    Message,
    /// The sum of the parts of every worker but the faulty one (`array-sum-without-fault`).
    ArraySumWithoutFault,
    /// The sum after worker 0 negated everything outside its part (`corrupted-sum`).
    CorruptedSum,
    /// Index, length and checksum of every message of the IPC exercises, in order
    /// (`ipc-messages`).
    IpcMessages,
    /// Length and checksum of the handover exercise's payload (`handover-payload`).
    HandoverPayload,
    /// The lines each producer of the ipc-async exercise sends, one sequence per producer
    /// (`async-messages`): lines for a `sequences` matcher, not a value to compare.
    AsyncMessages,
}

impl Oracle {
    /// Every oracle, with the name a rubric uses for it.
    pub const ALL: [(&'static str, Oracle); 8] = [
        ("array-sum", Oracle::ArraySum),
        ("negated-array", Oracle::NegatedArray),
        ("message", Oracle::Message),
        ("array-sum-without-fault", Oracle::ArraySumWithoutFault),
        ("corrupted-sum", Oracle::CorruptedSum),
        ("ipc-messages", Oracle::IpcMessages),
        ("handover-payload", Oracle::HandoverPayload),
        ("async-messages", Oracle::AsyncMessages),
    ];

    /// Whether the oracle gives sequences of lines (for a `sequences` matcher) rather than a
    /// value (for a comparison).
    #[must_use]
    pub fn gives_sequences(self) -> bool {
        self == Self::AsyncMessages
    }

    /// The name a rubric uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, oracle)| *oracle == self)
            .map_or("?", |(name, _)| name)
    }
}
