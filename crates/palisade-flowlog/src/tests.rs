//! Tests of the flow-log parser: the AWS documentation's sample records, custom formats
//! and header lines, refusals, and property tests over arbitrary text.

use std::net::IpAddr;

use proptest::prelude::*;

use super::*;

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

// The records of the AWS documentation's "Flow log record examples".
#[test]
fn default_format_examples() {
    let f = Format::default();
    let r = f
        .record("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK")
        .unwrap();
    assert_eq!(r.version, Some(2));
    assert_eq!(r.account_id, Some("123456789010"));
    assert_eq!(r.interface_id, Some("eni-1235b8ca123456789"));
    assert_eq!(
        (r.src_addr, r.dst_addr),
        (ip("172.31.16.139"), ip("172.31.16.21"))
    );
    assert_eq!(
        (r.src_port, r.dst_port, r.protocol),
        (Some(20641), Some(22), Some(6))
    );
    assert_eq!((r.packets, r.bytes), (Some(20), Some(4249)));
    assert_eq!((r.start, r.end), (Some(1418530010), Some(1418530070)));
    assert_eq!(
        (r.action, r.log_status),
        (Some(Action::Accept), Some(LogStatus::Ok))
    );

    let r = f
        .record("2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA")
        .unwrap();
    assert_eq!(
        (r.src_addr, r.action, r.log_status),
        (None, None, Some(LogStatus::NoData))
    );

    let r = f
        .record("2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK")
        .unwrap();
    assert_eq!(r.dst_addr, ip("2001:db8:1234:a102:3304:8879:34cf:4071"));
}

#[test]
fn custom_format_from_header() {
    let mut reader = Reader::new(Format::default());
    let header = "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status";
    assert_eq!(reader.line(header).unwrap(), None);
    assert_eq!(reader.format().fields().len(), 21);
    let r = reader
        .line("3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK\r")
        .unwrap()
        .unwrap();
    assert_eq!(r.vpc_id, Some("vpc-abcdefab012345678"));
    assert_eq!(r.instance_id, Some("i-01234567890123456"));
    assert_eq!(r.traffic_type, Some("IPv4"));
    assert_eq!(r.tcp_flags, Some(2));
    assert_eq!((r.bytes, r.packets), (Some(568), Some(8)));
    assert_eq!(r.pkt_dst_addr, ip("10.0.0.62"));
    // A header is only read as the first line.
    assert!(reader.line(header).is_err());
}

#[test]
fn log_format_syntax_and_v5_fields() {
    let f = Format::parse("${interface-id} ${flow-direction} ${traffic-path} ${srcaddr} ${dstaddr} ${ecs-task-id} ${action}").unwrap();
    let r = f
        .record("eni-0a 0 egress 8 10.0.0.1 198.51.100.7 - REJECT")
        .err();
    assert!(
        matches!(
            r,
            Some(RecordError::BadValue {
                field: "flow-direction",
                ..
            })
        ),
        "{r:?}"
    );
    let r = f
        .record("eni-0a egress 8 10.0.0.1 198.51.100.7 abc REJECT")
        .unwrap();
    assert_eq!(r.flow_direction, Some(FlowDirection::Egress));
    assert_eq!(r.traffic_path, Some(8));
    assert_eq!(r.action, Some(Action::Reject));
    assert_eq!(
        f.spec(),
        "${interface-id} ${flow-direction} ${traffic-path} ${srcaddr} ${dstaddr} ${other} ${action}"
    );
}

#[test]
fn refusals_name_the_field() {
    let f = Format::default();
    let e = f
        .record("2 1 eni-1 10.0.0.1 10.0.0.2 70000 22 6 1 1 1 2 ACCEPT OK")
        .unwrap_err();
    assert_eq!(e.to_string(), "field `srcport`: `70000` is not a port");
    let e = f.record("2 1 eni-1 10.0.0.1").unwrap_err();
    assert_eq!(
        e,
        RecordError::FieldCount {
            expected: 14,
            found: 4
        }
    );
    let e = f
        .record("2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1 2 ACCEPT OK extra")
        .unwrap_err();
    assert_eq!(
        e,
        RecordError::FieldCount {
            expected: 14,
            found: 15
        }
    );
    assert_eq!(
        Format::parse("${srcaddr} ${nope}"),
        Err(FormatError::UnknownField("nope".into()))
    );
    assert_eq!(
        Format::parse("srcaddr srcaddr"),
        Err(FormatError::Duplicate("srcaddr"))
    );
    assert_eq!(Format::parse("  "), Err(FormatError::Empty));
    // A record is never mistaken for a header.
    assert_eq!(
        Format::from_header("2 123456789010 eni-1 - - - - - - - 1 2 - NODATA"),
        None
    );
    assert_eq!(Format::from_header("eni-0a egress"), None);
}

#[test]
fn addresses_read_as_std_reads_them() {
    for t in [
        "10.0.0.1",
        "255.255.255.255",
        "0.0.0.0",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "256.1.1.1",
        "1..2.3",
        "::1",
        "2001:db8::1",
        "::ffff:10.0.0.1",
        "",
        "....",
    ] {
        assert_eq!(parse_addr(t), t.parse::<IpAddr>().ok(), "{t}");
    }
}

proptest! {
    #[test]
    fn any_ipv4_text_reads_as_std_reads_it(t in "[0-9.]{0,16}") {
        prop_assert_eq!(parse_addr(&t), t.parse::<IpAddr>().ok());
    }

    #[test]
    fn any_address_text_reads_as_std_reads_it(t in "[0-9a-f.:]{0,20}") {
        prop_assert_eq!(parse_addr(&t), t.parse::<IpAddr>().ok());
    }

    #[test]
    fn any_ipv6_text_reads_as_std_reads_it(t in "[0-9a-fA-F:]{0,41}") {
        prop_assert_eq!(parse_addr(&t), t.parse::<IpAddr>().ok());
    }

    // IPv6 addresses as `Display` writes them (zero runs compressed) and in full, with
    // leading zeros, upper case and an embedded IPv4 tail (left to `std`).
    #[test]
    fn ipv6_addresses_read_as_std_reads_them(groups in any::<[u16; 8]>(), zeros in any::<u8>()) {
        let mut groups = groups;
        for (i, g) in groups.iter_mut().enumerate() {
            if zeros & (1 << i) != 0 {
                *g = 0;
            }
        }
        let a = std::net::Ipv6Addr::from(groups);
        let full: Vec<String> = groups.iter().map(|g| format!("{g:04X}")).collect();
        for t in [a.to_string(), full.join(":"), format!("::ffff:{}", std::net::Ipv4Addr::from(u32::from(groups[0]) << 16 | u32::from(groups[1])))] {
            prop_assert_eq!(parse_addr(&t), t.parse::<IpAddr>().ok(), "{}", t);
        }
    }

    // Numbers read as `std` reads digit strings, up to 20 digits (past `u64::MAX` or not).
    #[test]
    fn numbers_read_as_std_reads_them(t in "[0-9]{0,20}|1844674407370955161[0-9]|[0-9]{0,5}[a/:]?") {
        prop_assert_eq!(number::<u64>(&t), t.parse::<u64>().ok());
        prop_assert_eq!(number::<u16>(&t), t.parse::<u16>().ok());
    }

    // The word-at-a-time scan splits exactly as a split at every space would, runs of
    // spaces, ends and multi-byte characters included.
    #[test]
    fn tokens_are_the_words_between_spaces(line in "( {0,3}[a-z0-9.é\\PC]{0,11}){0,14} {0,2}") {
        let words: Vec<&str> = line.split(' ').filter(|t| !t.is_empty()).collect();
        prop_assert_eq!(Tokens::new(&line).collect::<Vec<_>>(), words);
    }

    // Whatever the line, parsing answers (never panics); a record printed in the default
    // format reads back as itself.
    #[test]
    fn never_panics(line in "\\PC{0,120}") {
        let _ = Format::default().record(&line);
        let _ = Format::from_header(&line);
    }

    #[test]
    fn round_trip(src in any::<u32>(), dst in any::<u32>(), sp in any::<u16>(), dp in any::<u16>(),
                  proto in any::<u8>(), packets in any::<u64>(), bytes in any::<u64>(),
                  start in any::<u32>(), accept in any::<bool>()) {
        let src = std::net::Ipv4Addr::from(src);
        let dst = std::net::Ipv4Addr::from(dst);
        let action = if accept { "ACCEPT" } else { "REJECT" };
        let line = format!("2 123456789012 eni-0123 {src} {dst} {sp} {dp} {proto} {packets} {bytes} {start} {} {action} OK", u64::from(start) + 60);
        let r = Format::default().record(&line).unwrap();
        prop_assert_eq!(r.src_addr, Some(IpAddr::V4(src)));
        prop_assert_eq!(r.dst_addr, Some(IpAddr::V4(dst)));
        prop_assert_eq!((r.src_port, r.dst_port, r.protocol), (Some(sp), Some(dp), Some(proto)));
        prop_assert_eq!((r.packets, r.bytes), (Some(packets), Some(bytes)));
        prop_assert_eq!(r.action, Some(if accept { Action::Accept } else { Action::Reject }));
    }
}

// The default-format fast path reads the usual lines itself (else it would only cost time)
// and leaves the rest to the general path.
#[test]
fn fast_path_reads_usual_lines() {
    let mut rec = Record::default();
    for line in [
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
        "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8::1 34892 22 6 54 8855 1477913708 1477913820 REJECT SKIPDATA",
        "2 1 eni-1 0.0.0.0 255.255.255.255 0 65535 255 9999999999999999999 0 1 2 ACCEPT NODATA",
    ] {
        assert!(read_v2(line, &mut rec), "{line}");
        assert_eq!(rec, Format::default().record(line).unwrap(), "{line}");
    }
    for line in [
        "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
        "2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1 2 ACCEPT OK ",
        "2  1 eni-1 10.0.0.1 10.0.0.2 1 22 6 1 1 1 2 ACCEPT OK",
        "2 1 eni-1 10.0.0.1 10.0.0.2 1 22 6 18446744073709551615 1 1 2 ACCEPT OK",
        "2 1 eni-1 010.0.0.1 10.0.0.2 1 22 6 1 1 1 2 ACCEPT OK",
    ] {
        assert!(!read_v2(line, &mut rec), "{line}");
    }
}

#[test]
fn digit_runs_read_as_std_reads_them() {
    for t in [
        "", "0", "7", "12", "00000000", "99999999", "12345678", "1234567", "1a", "9:",
    ] {
        let mut padded = [0u8; 8];
        padded[..t.len()].copy_from_slice(t.as_bytes());
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        let expected = t[..digits].parse::<u64>().unwrap_or(0);
        assert_eq!(
            digit_run(u64::from_le_bytes(padded)),
            (digits, expected),
            "{t}"
        );
    }
}

/// A default-format line: plausible fields, and in most lines one or two oddities the
/// general path must still be asked about (`-`, leading zeros, overflow, other addresses,
/// near-quads, extra spaces, tabs, wrong words, a trailing field).
fn v2_line() -> impl Strategy<Value = String> {
    let num = "[1-9][0-9]{0,11}|0";
    let odd_num = "0[0-9]{1,3}|[0-9]{17,21}|-|[0-9]{1,3}[a:.]|";
    let text = "eni-[0-9a-f]{1,17}|[0-9]{12}";
    let odd_text = "-|é[a-z]{0,3}|";
    let addr = prop_oneof![
        4 => any::<u32>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
        1 => any::<u128>().prop_map(|a| std::net::Ipv6Addr::from(a).to_string()),
    ];
    let odd_addr = "0[0-9]{1,2}(\\.[0-9]{1,2}){3}|[0-9]{1,2}(\\.[0-9]{1,2}){2}\\.0[0-9]|(2[5-9][0-9]\\.){3}2[5-9][0-9]\
                    |[0-9]{1,4}(\\.[0-9]{1,4}){2,4}|[0-9.]{1,16}|-|::ffff:1.2.3.4|1.2.3.4[0-9a:]";
    let action = "ACCEPT|REJECT";
    let odd_action = "-|ACCEPTS|REJEC|accept|ACCEPT\t";
    let status = "OK|NODATA|SKIPDATA";
    let odd_status = "-|OKAY|O|SKIPDATAS|OK |OK x";
    let fields = (
        (num, text, text, addr.clone(), addr),
        proptest::collection::vec(num, 7),
        (action, status),
    )
        .prop_map(|((v, a, i, s, d), nums, (act, st))| {
            let mut f = vec![v, a, i, s, d];
            f.extend(nums);
            f.extend([act, st]);
            f
        });
    // Which field's kind of oddity to use, by position.
    let odd = (odd_num, odd_text, odd_addr, odd_action, odd_status);
    (
        fields,
        odd,
        proptest::collection::vec((0..14usize, 0..3u8), 0..3),
        proptest::option::weighted(0.1, (0..13usize, prop_oneof![Just("  "), Just("\t")])),
    )
        .prop_map(|(mut f, (on, ot, oa, oact, ost), odds, sep)| {
            for (at, _) in odds {
                f[at] = match at {
                    1 | 2 => ot.clone(),
                    3 | 4 => oa.clone(),
                    12 => oact.clone(),
                    13 => ost.clone(),
                    _ => on.clone(),
                };
            }
            let mut line = String::new();
            for (k, tok) in f.iter().enumerate() {
                if k > 0 {
                    line.push_str(match sep {
                        Some((at, s)) if at + 1 == k => s,
                        _ => " ",
                    });
                }
                line.push_str(tok);
            }
            line
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    // The fast path answers only what the general path answers, and the same record.
    #[test]
    fn fast_path_agrees_with_general_path(line in v2_line()) {
        let f = Format::default();
        let mut general = Record::default();
        let answer = f.record_general(&line, &mut general);
        let mut fast = Record::default();
        if read_v2(&line, &mut fast) {
            prop_assert_eq!(&answer, &Ok(()));
            prop_assert_eq!(fast, general);
        }
        // And through the public entry, into a record left over from a line of another
        // format (fields the default one lacks must not survive).
        let mut reused = Format::parse("vpc-id tcp-flags srcaddr action")
            .unwrap()
            .record("vpc-1 2 10.9.9.9 REJECT")
            .unwrap();
        let public = f.record_into(&line, &mut reused);
        prop_assert_eq!(&public, &answer);
        if public.is_ok() {
            prop_assert_eq!(reused, general);
        }
    }
}
