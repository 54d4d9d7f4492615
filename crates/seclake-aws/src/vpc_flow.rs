//! AWS.VPCFlow: VPC Flow Logs records, default (version 2) and custom
//! formats. A file delivered to S3 starts with a header line naming its
//! fields (`version account-id ...`, or with `_` in Athena style); the
//! header sets the layout for the rest of the stream and is not a row.
//! Without a header, a line is read in AWS's documented field order when
//! its field count is one of that order's version boundaries (14 = v2,
//! 21 = v3, 25 = v4, 29 = v5, 39 = v7, 40 = v8).

use seclake_core::time::parse_i64;
use seclake_core::{
    columns, LogTypeDef, ParseContext, ParseError, Parsed, RecordParser, Row, Signature, Timestamp,
    Value,
};
use seclake_core::{SigmaDef, SigmaLogSource};

columns! {
    Version = "version", "bigint", optional, [], "The VPC Flow Logs version. If you use the default format, the version is 2. If you use a custom format, the version is the highest version among the specified fields.";
    Account = "account", "string", optional, [AwsAccountId], "The AWS account ID of the owner of the source network interface for which traffic is recorded.";
    InterfaceId = "interfaceId", "string", optional, [], "The ID of the network interface for which the traffic is recorded.";
    SrcAddr = "srcAddr", "string", optional, [Ip], "The source address for incoming traffic, or the IPv4 or IPv6 address of the network interface for outgoing traffic on the network interface.";
    DstAddr = "dstAddr", "string", optional, [Ip], "The destination address for outgoing traffic, or the IPv4 or IPv6 address of the network interface for incoming traffic on the network interface.";
    SrcPort = "srcPort", "bigint", optional, [], "The source port of the traffic.";
    DstPort = "dstPort", "bigint", optional, [], "The destination port of the traffic.";
    Protocol = "protocol", "bigint", optional, [], "The IANA protocol number of the traffic.";
    Packets = "packets", "bigint", optional, [], "The number of packets transferred during the flow.";
    Bytes = "bytes", "bigint", optional, [], "The number of bytes transferred during the flow.";
    Start = "start", "timestamp", optional, [], "The time of the start of the flow (UTC).";
    End = "end", "timestamp", optional, [], "The time of the end of the flow (UTC).";
    Action = "action", "string", optional, [], "The action that is associated with the traffic: ACCEPT or REJECT.";
    Status = "status", "string", optional, [], "The logging status of the flow log: OK, NODATA or SKIPDATA.";
    VpcId = "vpcId", "string", optional, [], "The ID of the VPC that contains the network interface for which the traffic is recorded.";
    SubNetId = "subNetId", "string", optional, [], "The ID of the subnet that contains the network interface for which the traffic is recorded.";
    InstanceId = "instanceId", "string", optional, [AwsInstanceId], "The ID of the instance that's associated with network interface for which the traffic is recorded, if the instance is owned by you.";
    TcpFlags = "tcpFlags", "bigint", optional, [], "The bitmask value for the TCP flags: FIN 1, SYN 2, RST 4, SYN-ACK 18; OR-ed over the aggregation interval.";
    TrafficType = "trafficType", "string", optional, [], "The type of traffic: IPv4, IPv6, or EFA.";
    PktSrcAddr = "pktSrcAddr", "string", optional, [Ip], "The packet-level (original) source IP address of the traffic.";
    PktDstAddr = "pktDstAddr", "string", optional, [Ip], "The packet-level (original) destination IP address for the traffic.";
    Region = "region", "string", optional, [], "The Region that contains the network interface for which traffic is recorded.";
    AzId = "azId", "string", optional, [], "The ID of the Availability Zone that contains the network interface for which traffic is recorded.";
    SublocationType = "sublocationType", "string", optional, [], "The type of sublocation (wavelength, outpost, localzone) returned in the sublocationId field.";
    SublocationId = "sublocationId", "string", optional, [], "The ID of the sublocation that contains the network interface for which traffic is recorded.";
    PktSrcAwsService = "pktSrcAwsService", "string", optional, [], "The name of the subset of IP address ranges for the pktSrcAddr field, if the source IP address is for an AWS service.";
    PktDstAwsService = "pktDstAwsService", "string", optional, [], "The name of the subset of IP address ranges for the pktDstAddr field, if the destination IP address is for an AWS service.";
    FlowDirection = "flowDirection", "string", optional, [], "The direction of the flow with respect to the interface where traffic is captured: ingress or egress.";
    TrafficPath = "trafficPath", "bigint", optional, [], "The path that egress traffic takes to the destination (1 through 8).";
    EcsClusterArn = "ecsClusterArn", "string", optional, [AwsArn], "The ARN of the ECS cluster if the traffic is from a running ECS task.";
    EcsClusterName = "ecsClusterName", "string", optional, [], "The name of the ECS cluster if the traffic is from a running ECS task.";
    EcsContainerInstanceArn = "ecsContainerInstanceArn", "string", optional, [AwsArn], "The ARN of the ECS container instance if the traffic is from a running ECS task on an EC2 instance.";
    EcsContainerInstanceId = "ecsContainerInstanceId", "string", optional, [AwsInstanceId], "The ID of the ECS container instance if the traffic is from a running ECS task on an EC2 instance.";
    EcsContainerId = "ecsContainerId", "string", optional, [], "The Docker runtime ID of the container if the traffic is from a running ECS task.";
    EcsSecondContainerId = "ecsSecondContainerId", "string", optional, [], "The Docker runtime ID of the second container if the traffic is from a running ECS task with more than one container.";
    EcsServiceName = "ecsServiceName", "string", optional, [], "The name of the ECS service if the traffic is from a running ECS task started by an ECS service.";
    EcsTaskDefinitionArn = "ecsTaskDefinitionArn", "string", optional, [AwsArn], "The ARN of the ECS task definition if the traffic is from a running ECS task.";
    EcsTaskArn = "ecsTaskArn", "string", optional, [AwsArn], "The ARN of the ECS task if the traffic is from a running ECS task.";
    EcsTaskId = "ecsTaskId", "string", optional, [], "The ID of the ECS task if the traffic is from a running ECS task.";
    RejectReason = "rejectReason", "string", optional, [], "The reason traffic was rejected (for example BPA, Block Public Access).";
    ResourceId = "resourceId", "string", optional, [], "The ID of the resource (such as a NAT gateway) the flow was recorded for.";
    EncryptionStatus = "encryptionStatus", "bigint", optional, [], "Whether the traffic was encrypted in transit (0 not encrypted, 1 encrypted by Nitro, 2 encrypted by the application, 3 both).";
    InterfaceType = "interfaceType", "string", optional, [], "The type of the network interface (for example nat_gateway).";
}

/// AWS field names in their documented order, and the column each fills.
const FIELDS: &[(&str, C)] = &[
    ("version", C::Version),
    ("account-id", C::Account),
    ("interface-id", C::InterfaceId),
    ("srcaddr", C::SrcAddr),
    ("dstaddr", C::DstAddr),
    ("srcport", C::SrcPort),
    ("dstport", C::DstPort),
    ("protocol", C::Protocol),
    ("packets", C::Packets),
    ("bytes", C::Bytes),
    ("start", C::Start),
    ("end", C::End),
    ("action", C::Action),
    ("log-status", C::Status),
    ("vpc-id", C::VpcId),
    ("subnet-id", C::SubNetId),
    ("instance-id", C::InstanceId),
    ("tcp-flags", C::TcpFlags),
    ("type", C::TrafficType),
    ("pkt-srcaddr", C::PktSrcAddr),
    ("pkt-dstaddr", C::PktDstAddr),
    ("region", C::Region),
    ("az-id", C::AzId),
    ("sublocation-type", C::SublocationType),
    ("sublocation-id", C::SublocationId),
    ("pkt-src-aws-service", C::PktSrcAwsService),
    ("pkt-dst-aws-service", C::PktDstAwsService),
    ("flow-direction", C::FlowDirection),
    ("traffic-path", C::TrafficPath),
    ("ecs-cluster-arn", C::EcsClusterArn),
    ("ecs-cluster-name", C::EcsClusterName),
    ("ecs-container-instance-arn", C::EcsContainerInstanceArn),
    ("ecs-container-instance-id", C::EcsContainerInstanceId),
    ("ecs-container-id", C::EcsContainerId),
    ("ecs-second-container-id", C::EcsSecondContainerId),
    ("ecs-service-name", C::EcsServiceName),
    ("ecs-task-definition-arn", C::EcsTaskDefinitionArn),
    ("ecs-task-arn", C::EcsTaskArn),
    ("ecs-task-id", C::EcsTaskId),
    ("reject-reason", C::RejectReason),
    ("resource-id", C::ResourceId),
    ("encryption-status", C::EncryptionStatus),
    ("interface-type", C::InterfaceType),
];

/// Field counts at which a headerless line is read in documented order.
const HEADERLESS_COUNTS: &[usize] = &[14, 21, 25, 29, 39, 40];

pub const DEF: LogTypeDef = LogTypeDef {
    name: "AWS.VPCFlow",
    description: "VPC Flow Logs: a layer 3 record of the network traffic of a VPC's network interfaces.",
    reference: "https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html",
    columns: COLUMNS,
    signature: Signature::Any,
    event_time: Some("start"),
    examples: &[
        "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
        "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
        "2 123456789010 eni-11111111aaaaaaaaa 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK",
    ],
    new_parser: || Box::new(VpcFlowParser::default()),
    sigma: SIGMA,
};

/// Sigma: flows answer `category: firewall` rules (accepted and rejected
/// connections), with the taxonomy's field names.
const SIGMA: SigmaDef = SigmaDef {
    logsources: &[
        SigmaLogSource::category("firewall"),
        SigmaLogSource::service("aws", "vpcflow"),
    ],
    fields: &[
        ("src_ip", "srcAddr"),
        ("dst_ip", "dstAddr"),
        ("src_port", "srcPort"),
        ("dst_port", "dstPort"),
    ],
    json_columns: &[],
    keyword_fields: &[],
    dns_names: &[],
};

#[derive(Default)]
struct VpcFlowParser {
    /// The layout named by the stream's header line; `None` for unknown
    /// fields (added by AWS later), which are tolerated and skipped.
    layout: Option<Vec<Option<C>>>,
    /// Field offsets of the current line, kept to reuse the allocation.
    offsets: Vec<(u32, u32)>,
}

fn field_column(name: &str) -> Option<C> {
    FIELDS
        .iter()
        .find(|(n, _)| {
            n.len() == name.len()
                && n.bytes()
                    .zip(name.bytes())
                    .all(|(a, b)| a == b || (a == b'-' && b == b'_'))
        })
        .map(|(_, c)| *c)
}

/// A header names fields: lower-case words, the first a known field.
fn is_header(line: &str) -> bool {
    line.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && line.split(' ').next().and_then(field_column).is_some()
        && line
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c == b'-' || c == b'_' || c == b' ')
}

/// Splits on runs of spaces into `out` (start, end) offsets.
///
/// A VPC Flow field is a few bytes long, so looking for each space with a
/// search routine costs more in setup than in searching. Instead the
/// spaces of 64 bytes at a time become one bit mask (eight bytes at a
/// time, SWAR), and the fields' starts and ends are the mask's
/// transitions, found with `trailing_zeros`.
fn split_offsets(line: &str, out: &mut Vec<(u32, u32)>) {
    out.clear();
    let b = line.as_bytes();
    // Whether the byte before the current block was a space (the line
    // starts as if after one) and where the open field began.
    let mut after_space = true;
    let mut open = 0usize;
    let mut base = 0usize;
    while base < b.len() {
        let block = &b[base..b.len().min(base + 64)];
        let spaces = space_mask(block);
        // Bytes past the line's end count as spaces: they close a field.
        let spaces = spaces | (!0u64).checked_shl(block.len() as u32).unwrap_or(0);
        let words = !spaces;
        let starts = words & ((spaces << 1) | after_space as u64);
        let ends = spaces & ((words << 1) | !after_space as u64);
        let mut edges = starts | ends;
        while edges != 0 {
            let bit = edges.trailing_zeros();
            let at = base + bit as usize;
            if starts >> bit & 1 == 1 {
                open = at;
            } else {
                out.push((open as u32, at.min(b.len()) as u32));
            }
            edges &= edges - 1;
        }
        after_space = spaces >> 63 == 1;
        base += 64;
    }
    // A line whose length is a multiple of 64 has no padding to close its
    // last field.
    if !after_space {
        out.push((open as u32, b.len() as u32));
    }
}

/// Bit `i` set when `block[i]` (at most 64 bytes) is a space.
#[inline]
fn space_mask(block: &[u8]) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut mask = 0u64;
    for (k, chunk) in block.chunks(8).enumerate() {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        // A byte of `x` is zero exactly where the byte is a space; its
        // high bit survives below only there.
        let x = u64::from_le_bytes(word) ^ 0x2020_2020_2020_2020;
        let zero = !(((x & LOW7) + LOW7) | x | LOW7);
        // The eight high bits, gathered into one byte.
        let bits = (zero >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        // Padding of a short last chunk is zero, not space: no bits there.
        mask |= (bits & ((1u64 << chunk.len()) - 1)) << (8 * k);
    }
    mask
}

impl RecordParser for VpcFlowParser {
    fn parse<'a>(
        &mut self,
        line: &'a str,
        _ctx: &ParseContext,
        row: &mut Row<'a>,
    ) -> Result<Parsed, ParseError> {
        if is_header(line) {
            let layout = line
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(field_column)
                .collect();
            self.layout = Some(layout);
            return Ok(Parsed::Skip);
        }
        split_offsets(line, &mut self.offsets);
        let count = self.offsets.len();
        let tokens = self
            .offsets
            .iter()
            .map(|&(s, e)| &line[s as usize..e as usize]);
        match &self.layout {
            Some(layout) => {
                // More fields than the header names: AWS added one; the
                // known ones are kept. Fewer: the line is cut short.
                if count < layout.len() {
                    return Err(ParseError::invalid(
                        "the line has fewer fields than the header names",
                    )
                    .with_detail(format!(
                        "the header names {} fields, the line has {count}",
                        layout.len()
                    )));
                }
                for (tok, col) in tokens.zip(layout) {
                    if let Some(col) = col {
                        set_field(row, *col, tok)?;
                    }
                }
            }
            None => {
                // The longest documented layout that fits: fields past it
                // are ones AWS added since, and are left out, not a reason
                // to lose the line.
                let Some(&known) = HEADERLESS_COUNTS.iter().rev().find(|&&c| c <= count) else {
                    return Err(ParseError::mismatch(
                        "no header line, and not a VPC Flow record in AWS's field order",
                    )
                    .with_detail(format!("{count} fields")));
                };
                let tokens = tokens.take(known);
                // Without a header the order is an assumption: a field that
                // does not fit it means another kind of line, not a broken one.
                for (tok, (_, col)) in tokens.zip(FIELDS) {
                    set_field(row, *col, tok).map_err(|e| {
                        ParseError::mismatch("not in VPC Flow's default layout")
                            .with_detail(e.to_string())
                    })?;
                }
                if !matches!(row.get(C::Version), Value::Int(_)) {
                    return Err(ParseError::mismatch(
                        "first field is not a VPC Flow version",
                    ));
                }
                if !matches!(row.get(C::Status), Value::Str(s) if matches!(s.as_ref(), "OK" | "NODATA" | "SKIPDATA"))
                {
                    return Err(ParseError::mismatch(
                        "log-status is not OK, NODATA or SKIPDATA",
                    ));
                }
            }
        }
        if let Value::Str(a) = row.get(C::Action) {
            if a != "ACCEPT" && a != "REJECT" {
                return Err(ParseError::field("action", "expected ACCEPT or REJECT", a));
            }
        }
        if let Value::Time(t) = row.get(C::Start) {
            row.event_time = Some(*t);
        }
        Ok(Parsed::Row)
    }
}

/// Sets one field; `-` (no value) leaves the column null.
#[inline]
fn set_field<'a>(row: &mut Row<'a>, col: C, tok: &'a str) -> Result<(), ParseError> {
    if tok == "-" {
        return Ok(());
    }
    match col {
        C::Version
        | C::SrcPort
        | C::DstPort
        | C::Protocol
        | C::Packets
        | C::Bytes
        | C::TcpFlags
        | C::TrafficPath
        | C::EncryptionStatus => match parse_i64(tok) {
            Some(v) => row.set(col, Value::Int(v)),
            None => {
                return Err(ParseError::field(
                    COLUMNS[col as usize].name,
                    "not an integer",
                    tok,
                ))
            }
        },
        C::Start | C::End => match Timestamp::parse_unix_seconds(tok) {
            Some(t) => row.set(col, Value::Time(t)),
            None => {
                return Err(ParseError::field(
                    COLUMNS[col as usize].name,
                    "not a Unix time",
                    tok,
                ))
            }
        },
        _ => row.set(col, Value::str(tok)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting_agrees_with_splitting_on_spaces() {
        // Every line of up to 8 characters over `a`, space and `é` (two
        // bytes), then long lines crossing 64-byte blocks.
        let alphabet = ['a', ' ', 'é'];
        let mut lines = vec![String::new()];
        let mut last = lines.clone();
        for _ in 0..8 {
            last = last
                .iter()
                .flat_map(|l| alphabet.iter().map(move |c| format!("{l}{c}")))
                .collect();
            lines.extend(last.iter().cloned());
        }
        for n in [63, 64, 65, 127, 128, 129, 200] {
            lines.push("x ".repeat(n));
            lines.push(" y".repeat(n));
            lines.push("a".repeat(n));
            lines.push(" ".repeat(n));
            lines.push(format!("{}  {}", "b".repeat(n), "c".repeat(n)));
        }
        let mut got = Vec::new();
        for line in &lines {
            split_offsets(line, &mut got);
            let fields: Vec<&str> = got
                .iter()
                .map(|&(s, e)| &line[s as usize..e as usize])
                .collect();
            let expected: Vec<&str> = line.split(' ').filter(|t| !t.is_empty()).collect();
            assert_eq!(fields, expected, "{line:?}");
        }
    }
    use seclake_core::testing::parse_all;

    #[test]
    fn header_sets_layout_with_unknown_fields_tolerated() {
        let out = parse_all(
            &DEF,
            &[
                "version srcaddr future_field dstaddr log_status",
                "5 10.0.0.1 whatever 10.0.0.2 OK",
                "5 10.0.0.1 10.0.0.2 OK",
            ],
        );
        assert_eq!(out[0].as_ref().unwrap().0, Parsed::Skip);
        let (_, row) = out[1].as_ref().unwrap();
        let v = row.values();
        assert_eq!(v[C::DstAddr as usize], Value::str("10.0.0.2"));
        assert!(out[2]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("header names 5 fields"));
    }

    /// AWS adds fields: a line with more than its header or its version
    /// names keeps the known ones instead of being rejected.
    #[test]
    fn lines_with_fields_added_since_keep_the_known_ones() {
        let out = parse_all(
            &DEF,
            &[
                "version srcaddr dstaddr log-status",
                "5 10.0.0.1 10.0.0.2 OK new-field-value",
            ],
        );
        let (_, row) = out[1].as_ref().unwrap();
        assert_eq!(row.get(C::Status), &Value::str("OK"));
        let out = parse_all(
            &DEF,
            &["2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK extra"],
        );
        let (_, row) = out[0].as_ref().unwrap();
        assert_eq!(row.get(C::Action), &Value::str("ACCEPT"));
        assert_eq!(row.get(C::Status), &Value::str("OK"));
    }

    #[test]
    fn nodata_rows_have_nulls() {
        let out = parse_all(
            &DEF,
            &["2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"],
        );
        let (_, row) = out[0].as_ref().unwrap();
        let v = row.values();
        assert_eq!(v[C::SrcAddr as usize], Value::Null);
        assert_eq!(v[C::Status as usize], Value::str("NODATA"));
    }

    #[test]
    fn garbage_is_rejected() {
        let out = parse_all(
            &DEF,
            &[
                "Phony unsupported log format.",
                "2 123456789010 eni-1 1.1.1.1 2.2.2.2 1 2 6 20 4249 1418530010 1418530070 MAYBE OK",
                "2 123456789010 eni-1 1.1.1.1 2.2.2.2 x 2 6 20 4249 1418530010 1418530070 ACCEPT OK",
            ],
        );
        assert!(out[0].as_ref().unwrap_err().is_mismatch());
        assert!(out[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("ACCEPT or REJECT"));
        assert!(out[2].as_ref().unwrap_err().is_mismatch());
    }
}
