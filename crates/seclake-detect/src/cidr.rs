//! The `cidr` modifier: networks, and the SQL function
//! `cidr_match(address, network)` that tests text columns against them
//! (DataFusion has no IP type; seclake stores addresses as text).
//!
//! An IPv4 address written as IPv6 (`::ffff:10.0.0.1`) is the IPv4
//! address, so it matches IPv4 networks; text that is not an address
//! matches no network.

use std::net::IpAddr;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray};
use arrow_schema::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// An IP network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `10.0.0.0/8`, `2001:db8::/32`, or one address (a full-length
    /// prefix). Host bits are cleared: `10.1.2.3/8` is `10.0.0.0/8`.
    pub fn parse(text: &str) -> Option<Self> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let addr = canonical(addr);
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        if prefix > bits {
            return None;
        }
        let network = match addr {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a) & mask32(prefix)).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a) & mask128(prefix)).into()),
        };
        Some(Cidr { network, prefix })
    }

    /// Whether `addr` is inside the network.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.network, canonical(addr)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => u32::from(a) & mask32(self.prefix) == u32::from(n),
            (IpAddr::V6(n), IpAddr::V6(a)) => u128::from(a) & mask128(self.prefix) == u128::from(n),
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(a) => a.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// The SQL function `cidr_match(address, network)`: true when the text
/// `address` is an IP address inside `network`, false when it is not (or
/// is not an address, or the network does not parse), null when
/// `address` is null.
pub fn cidr_match() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::from(CidrMatch {
        signature: Signature::uniform(2, vec![DataType::Utf8], Volatility::Immutable),
    }))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CidrMatch {
    signature: Signature,
}

impl ScalarUDFImpl for CidrMatch {
    fn name(&self) -> &str {
        "cidr_match"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (addrs, nets) = (utf8(&arrays[0])?, utf8(&arrays[1])?);
        let (addrs, nets) = (addrs.as_string::<i32>(), nets.as_string::<i32>());
        // The network is almost always a literal: parse it once.
        let constant = (nets.len() > 0 && nets.null_count() == 0)
            .then(|| nets.value(0))
            .filter(|first| (1..nets.len()).all(|i| nets.value(i) == *first))
            .map(Cidr::parse);
        let result: BooleanArray = (0..addrs.len())
            .map(|i| {
                if addrs.is_null(i) {
                    return None;
                }
                let net = match constant {
                    Some(c) => c,
                    None if nets.is_null(i) => None,
                    None => Cidr::parse(nets.value(i)),
                };
                let addr = addrs.value(i).trim().parse::<IpAddr>().ok();
                Some(matches!((net, addr), (Some(n), Some(a)) if n.contains(a)))
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(result)))
    }
}

/// The array as `Utf8` (the signature coerces to it; a caller of the
/// function object itself may hand over another string type).
pub(crate) fn utf8(array: &ArrayRef) -> Result<ArrayRef> {
    Ok(match array.data_type() {
        DataType::Utf8 => array.clone(),
        _ => datafusion::arrow::compute::cast(array, &DataType::Utf8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_contain_their_addresses() {
        let net = Cidr::parse("10.1.2.3/8").unwrap();
        assert_eq!(net.to_string(), "10.0.0.0/8");
        assert!(net.contains(ip("10.255.0.1")));
        assert!(net.contains(ip("::ffff:10.0.0.1")));
        assert!(!net.contains(ip("11.0.0.1")));
        assert!(!net.contains(ip("::1")));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")));
        assert!(!v6.contains(ip("2001:db9::5")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("192.0.2.1")));
        assert!(Cidr::parse("192.0.2.1").unwrap().contains(ip("192.0.2.1")));
        assert!(!Cidr::parse("192.0.2.1").unwrap().contains(ip("192.0.2.2")));
    }

    #[test]
    fn rejects_what_is_not_a_network() {
        for text in ["10.0.0.0/33", "10.0.0/8", "::/129", "x", "10.0.0.0/"] {
            assert_eq!(Cidr::parse(text), None, "{text}");
        }
    }
}
