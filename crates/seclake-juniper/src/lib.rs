//! The Juniper log types, one file each. The WebApp Secure types share the
//! line prefix in [`prefix`].

pub mod access;
pub mod audit;
pub mod firewall;
pub mod mws;
pub mod postgres;
pub mod prefix;
pub mod security;
pub mod ssr;

#[cfg(test)]
mod tests {
    #[test]
    fn webapp_secure_types_declare_the_prefix_columns_first() {
        for def in [
            crate::access::DEF,
            crate::audit::DEF,
            crate::firewall::DEF,
            crate::mws::DEF,
            crate::postgres::DEF,
            crate::security::DEF,
        ] {
            let names: Vec<_> = def.columns[..2].iter().map(|c| c.name).collect();
            assert_eq!(names, ["timestamp", "hostname"], "{}", def.name);
        }
    }
}
