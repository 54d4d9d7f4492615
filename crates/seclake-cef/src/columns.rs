//! The one table layout of the CEF and LEEF log types: the syslog header
//! a forwarder put before the event, the event's header fields, the
//! ArcSight/QRadar attributes most vendors send promoted to typed columns
//! (with their indicators), and every other attribute in `extensions`.

use seclake_core::columns;

columns! {
    SyslogFacility = "syslog_facility", "int", optional, [], "The syslog facility, when the event came after a syslog <PRI>.";
    SyslogSeverity = "syslog_severity", "int", optional, [], "The syslog severity, when the event came after a syslog <PRI>.";
    SyslogTimestamp = "syslog_timestamp", "timestamp", optional, [], "The time of the syslog header before the event (BSD times read with the source's year and zone).";
    SyslogHostname = "syslog_hostname", "string", optional, [Host], "The host of the syslog header before the event.";
    SyslogPrefix = "syslog_prefix", "string", optional, [], "Text before the event that is not a syslog header seclake reads, kept as sent.";
    Version = "version", "string", required, [], "The format version (CEF 0 or 1; LEEF 1.0 or 2.0).";
    DeviceVendor = "device_vendor", "string", optional, [], "The vendor of the sending device.";
    DeviceProduct = "device_product", "string", optional, [], "The product of the sending device.";
    DeviceVersion = "device_version", "string", optional, [], "The version of the sending product.";
    EventClassId = "event_class_id", "string", optional, [], "What kind of event this is: CEF's Device Event Class ID (signature id), LEEF's EventID.";
    Name = "name", "string", optional, [], "CEF: a human-readable description of the event.";
    Severity = "severity", "string", optional, [], "CEF: the header's severity (0-10, or Low, Medium, High, Very-High); LEEF: the sev attribute.";
    LeefDelimiter = "leef_delimiter", "string", optional, [], "LEEF 2.0: the attribute delimiter as the sender declared it.";
    SourceAddress = "source_address", "string", optional, [Ip], "src, sourceAddress: the source IP address.";
    DestinationAddress = "destination_address", "string", optional, [Ip], "dst, destinationAddress: the destination IP address.";
    SourcePort = "source_port", "int", optional, [], "spt, sourcePort, srcPort: the source port.";
    DestinationPort = "destination_port", "int", optional, [], "dpt, destinationPort, dstPort: the destination port.";
    SourceTranslatedAddress = "source_translated_address", "string", optional, [Ip], "sourceTranslatedAddress, srcPostNAT: the source address after NAT.";
    DestinationTranslatedAddress = "destination_translated_address", "string", optional, [Ip], "destinationTranslatedAddress, dstPostNAT: the destination address after NAT.";
    SourceTranslatedPort = "source_translated_port", "int", optional, [], "sourceTranslatedPort, srcPostNATPort: the source port after NAT.";
    DestinationTranslatedPort = "destination_translated_port", "int", optional, [], "destinationTranslatedPort, dstPostNATPort: the destination port after NAT.";
    SourceMac = "source_mac", "string", optional, [], "smac, sourceMacAddress, srcMAC: the source MAC address.";
    DestinationMac = "destination_mac", "string", optional, [], "dmac, destinationMacAddress, dstMAC: the destination MAC address.";
    SourceHostName = "source_host_name", "string", optional, [Host], "shost, sourceHostName: the source host.";
    DestinationHostName = "destination_host_name", "string", optional, [Host], "dhost, destinationHostName: the destination host.";
    SourceUserName = "source_user_name", "string", optional, [Username], "suser, sourceUserName, usrName: the source user.";
    DestinationUserName = "destination_user_name", "string", optional, [Username], "duser, destinationUserName: the destination user.";
    DeviceAddress = "device_address", "string", optional, [Ip], "dvc, deviceAddress: the address of the device that saw the event.";
    DeviceHostName = "device_host_name", "string", optional, [Host], "dvchost, deviceHostName: the host of the device that saw the event.";
    DeviceAction = "device_action", "string", optional, [], "act, deviceAction: what the device did (blocked, allowed, ...).";
    EventOutcome = "event_outcome", "string", optional, [], "outcome, eventOutcome: success or failure.";
    TransportProtocol = "transport_protocol", "string", optional, [], "proto, transportProtocol: TCP, UDP, ...";
    ApplicationProtocol = "application_protocol", "string", optional, [], "app, applicationProtocol: HTTP, SSH, ...";
    DeviceEventCategory = "device_event_category", "string", optional, [], "cat, deviceEventCategory: the device's category of the event.";
    Message = "message", "string", optional, [], "msg, message: the event's message.";
    Reason = "reason", "string", optional, [], "reason: why the event happened.";
    RequestUrl = "request_url", "string", optional, [Url], "request, requestUrl, url: the URL requested.";
    RequestMethod = "request_method", "string", optional, [], "requestMethod: the HTTP method.";
    RequestClientApplication = "request_client_application", "string", optional, [], "requestClientApplication: the user agent.";
    FileName = "file_name", "string", optional, [], "fname, fileName: the file's name.";
    FilePath = "file_path", "string", optional, [], "filePath: the file's full path.";
    FileHash = "file_hash", "string", optional, [Hash], "fileHash: the file's hash (MD5, SHA-1 or SHA-256 by its length).";
    BytesIn = "bytes_in", "bigint", optional, [], "in, bytesIn: bytes received by the source.";
    BytesOut = "bytes_out", "bigint", optional, [], "out, bytesOut: bytes sent by the source.";
    DeviceReceiptTime = "device_receipt_time", "timestamp", optional, [], "rt, deviceReceiptTime, devTime: when the device saw the event (epoch milliseconds or MMM dd yyyy HH:mm:ss forms).";
    StartTime = "start_time", "timestamp", optional, [], "start, startTime: when the activity started.";
    EndTime = "end_time", "timestamp", optional, [], "end, endTime: when the activity ended.";
    ExternalId = "external_id", "string", optional, [], "externalId: the device's id of the event.";
    DeviceExternalId = "device_external_id", "string", optional, [], "deviceExternalId: the device's own id.";
    Extensions = "extensions", "map<string,string>", optional, [Ip], "Every other attribute, by its key as sent (csN, cnN with their labels, vendor keys); also promoted attributes whose value is not of the column's type. Escapes are undone.";
    SenderIp = seclake_core::parser::SENDER_COLUMN, "string", optional, [Ip], seclake_core::parser::SENDER_DESCRIPTION;
}
