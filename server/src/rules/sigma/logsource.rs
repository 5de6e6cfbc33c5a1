//! A Sigma log source as the condition events must also meet (product,
//! category and service mapped to ECS fields and Windows channels).

use super::detection::{and, or};
use app::query::{Operator, Query, Term, Test};
use rsigma_parser::LogSource;

/// The event constraint a logsource stands for, as pySigma's `sysmon` and
/// `windows-logsources` pipelines add it. Logsources Vigil has no mapping
/// for add none: the rule's own fields select the events.
pub fn logsource_constraint(logsource: &LogSource) -> Query {
    let windows = logsource.product.as_deref().is_none_or(|p| p == "windows");
    let channel = |name: &str| Query::Field {
        field: "Channel".into(),
        test: Test::Compare {
            op: Operator::Equals,
            term: Term::Phrase(name.into()),
            cased: false,
        },
    };
    let event_ids = |ids: &[u32]| {
        or(ids
            .iter()
            .map(|id| Query::Field {
                field: "EventID".into(),
                test: Test::Matches {
                    term: Term::Word(id.to_string()),
                },
            })
            .collect())
    };
    if windows && let Some(category) = logsource.category.as_deref() {
        let sysmon: Option<&[u32]> = match category {
            "process_creation" => Some(&[1]),
            "file_change" => Some(&[2]),
            "network_connection" => Some(&[3]),
            "sysmon_status" => Some(&[4, 16]),
            "process_termination" => Some(&[5]),
            "driver_load" => Some(&[6]),
            "image_load" => Some(&[7]),
            "create_remote_thread" => Some(&[8]),
            "raw_access_thread" | "raw_access_read" => Some(&[9]),
            "process_access" => Some(&[10]),
            "file_event" => Some(&[11]),
            "registry_add" | "registry_delete" => Some(&[12]),
            "registry_set" => Some(&[13]),
            "registry_rename" => Some(&[14]),
            "registry_event" => Some(&[12, 13, 14]),
            "create_stream_hash" => Some(&[15]),
            "pipe_created" => Some(&[17, 18]),
            "wmi_event" => Some(&[19, 20, 21]),
            "dns_query" => Some(&[22]),
            "file_delete" => Some(&[23, 26]),
            "clipboard_capture" => Some(&[24]),
            "process_tampering" => Some(&[25]),
            "file_delete_detected" => Some(&[26]),
            "file_block_executable" => Some(&[27]),
            "file_block_shredding" => Some(&[28]),
            "file_executable_detected" => Some(&[29]),
            "sysmon_error" => Some(&[255]),
            _ => None,
        };
        if let Some(ids) = sysmon {
            return and(vec![
                event_ids(ids),
                channel("Microsoft-Windows-Sysmon/Operational"),
            ]);
        }
        let powershell: Option<(&str, u32)> = match category {
            "ps_script" => Some(("Microsoft-Windows-PowerShell/Operational", 4104)),
            "ps_module" => Some(("Microsoft-Windows-PowerShell/Operational", 4103)),
            "ps_classic_start" => Some(("Windows PowerShell", 400)),
            "ps_classic_provider_start" => Some(("Windows PowerShell", 600)),
            "ps_classic_script" => Some(("Windows PowerShell", 800)),
            _ => None,
        };
        if let Some((name, id)) = powershell {
            return and(vec![event_ids(&[id]), channel(name)]);
        }
    }
    if windows && let Some(service) = logsource.service.as_deref() {
        let channels: &[&str] = match service {
            "security" => &["Security"],
            "system" => &["System"],
            "application" => &["Application"],
            "sysmon" => &["Microsoft-Windows-Sysmon/Operational"],
            "powershell" => &["Microsoft-Windows-PowerShell/Operational"],
            "powershell-classic" => &["Windows PowerShell"],
            "taskscheduler" => &["Microsoft-Windows-TaskScheduler/Operational"],
            "wmi" => &["Microsoft-Windows-WMI-Activity/Operational"],
            "dns-server" => &["DNS Server"],
            "dns-server-analytic" => &["Microsoft-Windows-DNS-Server/Analytical"],
            "driver-framework" => &["Microsoft-Windows-DriverFrameworks-UserMode/Operational"],
            "ntlm" => &["Microsoft-Windows-NTLM/Operational"],
            "windefend" => &["Microsoft-Windows-Windows Defender/Operational"],
            "firewall-as" => {
                &["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"]
            }
            "bits-client" => &["Microsoft-Windows-Bits-Client/Operational"],
            "codeintegrity-operational" => &["Microsoft-Windows-CodeIntegrity/Operational"],
            "applocker" => &[
                "Microsoft-Windows-AppLocker/MSI and Script",
                "Microsoft-Windows-AppLocker/EXE and DLL",
                "Microsoft-Windows-AppLocker/Packaged app-Deployment",
                "Microsoft-Windows-AppLocker/Packaged app-Execution",
            ],
            "msexchange-management" => &["MSExchange Management"],
            "printservice-admin" => &["Microsoft-Windows-PrintService/Admin"],
            "printservice-operational" => &["Microsoft-Windows-PrintService/Operational"],
            "terminalservices-localsessionmanager" => {
                &["Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"]
            }
            "smbclient-security" => &["Microsoft-Windows-SmbClient/Security"],
            "smbclient-connectivity" => &["Microsoft-Windows-SmbClient/Connectivity"],
            "ldap_debug" => &["Microsoft-Windows-LDAP-Client/Debug"],
            "openssh" => &["OpenSSH/Operational"],
            "shell-core" => &["Microsoft-Windows-Shell-Core/Operational"],
            "diagnosis-scripted" => &["Microsoft-Windows-Diagnosis-Scripted/Operational"],
            "appxdeployment-server" => &["Microsoft-Windows-AppXDeploymentServer/Operational"],
            "appxpackaging-om" => &["Microsoft-Windows-AppxPackaging/Operational"],
            "capi2" => &["Microsoft-Windows-CAPI2/Operational"],
            "certificateservicesclient-lifecycle-system" => {
                &["Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"]
            }
            "dhcp" => &["Microsoft-Windows-DHCP-Server/Operational"],
            "vhdmp" => &["Microsoft-Windows-VHDMP/Operational"],
            "lsa-server" => &["Microsoft-Windows-LSA/Operational"],
            "appmodel-runtime" => &["Microsoft-Windows-AppModel-Runtime/Admin"],
            "kernel-shimengine" => &["Microsoft-Windows-Kernel-ShimEngine/Operational"],
            "security-mitigations" => &[
                "Microsoft-Windows-Security-Mitigations/Kernel Mode",
                "Microsoft-Windows-Security-Mitigations/User Mode",
            ],
            _ => &[],
        };
        if !channels.is_empty() {
            return or(channels.iter().map(|c| channel(c)).collect());
        }
    }
    Query::All
}
