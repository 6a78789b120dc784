use super::*;

#[test]
fn generator_is_deterministic_and_in_range() {
    let first = generate_array(42, 1000);
    assert_eq!(first, generate_array(42, 1000));
    assert_ne!(first, generate_array(43, 1000));
    assert!(first.iter().all(|&x| (1..=MAX_ELEMENT).contains(&x)));
}

#[test]
fn larger_elements_follow_the_same_stream() {
    assert_eq!(
        generate_array_up_to(42, 1000, MAX_ELEMENT),
        generate_array(42, 1000)
    );
    let large = generate_array_up_to(42, 1000, 1_000_000);
    assert!(large.iter().all(|&x| (1..=1_000_000).contains(&x)));
    assert!(large.iter().any(|&x| x > MAX_ELEMENT));
    assert_eq!(
        array_sum_up_to(42, 1000, 1_000_000),
        large.iter().sum::<i64>()
    );
    assert_eq!(generate_array_up_to(7, 10, 1), vec![1; 10]);
}

#[test]
fn a_max_that_could_overflow_the_sum_is_refused() {
    assert_eq!(check_max(4_000_000, 1_000_000), Ok(()));
    assert!(check_max(10, 0).unwrap_err().contains(MAX_VAR));
    assert!(check_max(4_000_000, i64::MAX / 1000).is_err());
    assert_eq!(check_max(0, i64::MAX), Ok(()));
}

#[test]
fn splitmix64_matches_the_reference_implementation() {
    // First outputs of Vigna's reference splitmix64.c for seed 1234567.
    let mut state = 1_234_567;
    let outputs: Vec<u64> = (0..5).map(|_| splitmix64(&mut state)).collect();
    assert_eq!(
        outputs,
        [
            6_457_827_717_110_365_317,
            3_203_168_211_198_807_973,
            9_817_491_932_198_370_423,
            4_593_380_528_125_082_431,
            16_408_922_859_458_223_821
        ]
    );
}

#[test]
fn generator_output_is_pinned() {
    // Changing the generator would make every recorded seed replay a different array.
    assert_eq!(generate_array(7, 5), vec![488, 805, 347, 204, 675]);
}

#[test]
fn oracle_matches_generated_array() {
    for seed in [0, 1, 99, u64::MAX] {
        assert_eq!(
            array_sum(seed, 12_345),
            generate_array(seed, 12_345).iter().sum()
        );
    }
}

#[test]
fn faults_parse_and_print() {
    let fault = Fault::parse("worker=2,signal=SIGSEGV").unwrap();
    assert_eq!(
        fault,
        Fault {
            worker: 2,
            action: FaultAction::Signal(11)
        }
    );
    assert_eq!(Fault::parse(&fault.to_env()), Ok(fault));
    assert_eq!(
        Fault::parse("worker=0,exit=3").unwrap().action,
        FaultAction::Exit(3)
    );
    assert_eq!(
        Fault::parse("worker=1,signal=abrt").unwrap().action,
        FaultAction::Signal(6)
    );
    assert!(Fault::parse("worker=x,exit=3").is_err());
    assert!(Fault::parse("signal=SIGSEGV").is_err());
    assert!(Fault::parse("worker=1,signal=SIGNOPE").is_err());
}

#[test]
fn messages_differ_by_seed() {
    assert_eq!(message(1), message(1));
    assert_ne!(message(1), message(2));
}

#[test]
fn split_ranges_cover_everything_once() {
    for len in [0, 1, 7, 10, 1001] {
        for workers in 1..=9 {
            let ranges = split_ranges(len, workers);
            assert_eq!(ranges.len(), workers);
            assert_eq!(ranges.first().unwrap().start, 0);
            assert_eq!(ranges.last().unwrap().end, len);
            assert!(ranges.windows(2).all(|pair| pair[0].end == pair[1].start));
        }
    }
}

#[test]
fn payload_len_follows_the_mib_asked_for() {
    assert_eq!(payload_len_for(9, None), Ok(handover_len(9)));
    for seed in [0, 1, 5, u64::MAX] {
        for mib in [1, 256, MAX_PAYLOAD_MIB] {
            let len = payload_len_for(seed, Some(mib)).unwrap();
            assert_eq!(len >> 20, usize::try_from(mib).unwrap());
            let tail = len & ((1 << 20) - 1);
            assert!(
                (1..=4095).contains(&tail),
                "seed {seed}, {mib} MiB: tail {tail}"
            );
            assert_eq!(payload_len_for(seed, Some(mib)), Ok(len));
        }
    }
    assert_ne!(payload_len_for(1, Some(8)), payload_len_for(2, Some(8)));
    assert!(payload_len_for(1, Some(0)).is_err());
    assert!(payload_len_for(1, Some(MAX_PAYLOAD_MIB + 1)).is_err());
}

#[test]
fn payload_len_reads_its_variable() {
    // Nothing else in these tests reads or sets `PAYLOAD_MIB_VAR`, so the process-wide
    // variable is this test's alone; the other checks of one run stay in one test so that
    // they cannot interleave.
    // SAFETY: no other thread of the test binary reads or writes this variable.
    unsafe { std::env::remove_var(PAYLOAD_MIB_VAR) };
    assert_eq!(payload_len(3), Ok(handover_len(3)));
    // SAFETY: as above.
    unsafe { std::env::set_var(PAYLOAD_MIB_VAR, " 2 ") };
    assert_eq!(payload_len(3), payload_len_for(3, Some(2)));
    // SAFETY: as above.
    unsafe { std::env::set_var(PAYLOAD_MIB_VAR, "lots") };
    assert!(payload_len(3).unwrap_err().contains(PAYLOAD_MIB_VAR));
    // SAFETY: as above.
    unsafe { std::env::remove_var(PAYLOAD_MIB_VAR) };
}

#[test]
fn payload_checksum_streams_the_same_bytes() {
    for len in [0, 1, 7, 8, 9, 65_535, 65_536, 65_537, 3 * 65_536 + 5] {
        let mut payload = vec![0; len];
        fill_handover_payload(11, &mut payload);
        assert_eq!(
            payload_checksum(11, len),
            payload_sum(&payload),
            "{len} bytes"
        );
    }
    let payload = handover_payload(4);
    assert_eq!(payload_checksum(4, payload.len()), payload_sum(&payload));
    // Every byte counts (the length, which the padding hides, is printed beside it).
    for at in [0, payload.len() / 2, payload.len() - 1] {
        let mut changed = payload.clone();
        changed[at] ^= 1;
        assert_ne!(payload_sum(&changed), payload_sum(&payload), "byte {at}");
    }
}

#[test]
fn ipc_messages_are_seeded_and_span_pipe_buf() {
    let messages = ipc_messages(42);
    assert_eq!(messages, ipc_messages(42));
    assert_ne!(messages, ipc_messages(43));
    assert!((12..=20).contains(&messages.len()));
    assert_eq!(messages[0].len(), 1);
    assert!(messages[1].len() > PIPE_BUF);
    assert!(
        messages
            .iter()
            .all(|message| (1..=MAX_MESSAGE_LEN).contains(&message.len()))
    );
    assert_eq!(checksum(b""), 0x811c_9dc5);
    assert_eq!(
        message_line(0, b"a"),
        format!("message 0: 1 bytes, checksum {}", checksum(b"a"))
    );
}

#[test]
fn async_messages_are_seeded_and_in_range() {
    for seed in [0, 1, 42, u64::MAX] {
        let fast = async_messages(seed, 0);
        let slow = async_messages(seed, 1);
        assert_eq!(fast, async_messages(seed, 0));
        assert_eq!(slow, async_messages(seed, 1));
        assert!((16..=24).contains(&fast.len()));
        assert!((5..=8).contains(&slow.len()));
        assert!(
            fast.iter()
                .all(|message| (5..=25).contains(&message.pause_ms))
        );
        assert!(
            slow.iter()
                .all(|message| (40..=90).contains(&message.pause_ms))
        );
        for (producer, messages) in [(0, &fast), (1, &slow)] {
            for (index, message) in messages.iter().enumerate() {
                let token = message
                    .line
                    .strip_prefix(&format!("producer {producer} message {index}: "))
                    .unwrap();
                assert!((8..=64).contains(&token.len()));
                assert!(
                    token
                        .bytes()
                        .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
                );
                // One write of the line and its newline must be atomic.
                assert!(message.line.len() + 1 < PIPE_BUF);
            }
        }
    }
    assert_ne!(async_messages(1, 0), async_messages(2, 0));
    let tokens = |seed, producer| -> Vec<String> {
        async_messages(seed, producer)
            .into_iter()
            .map(|message| message.line.split_once(": ").unwrap().1.to_owned())
            .collect()
    };
    assert_ne!(tokens(7, 0)[..5], tokens(7, 1)[..5]);
}

#[test]
#[should_panic(expected = "producers")]
fn async_messages_reject_a_third_producer() {
    let _ = async_messages(1, ASYNC_PRODUCERS);
}
