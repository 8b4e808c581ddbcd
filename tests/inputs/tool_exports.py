"""Test exports in the exact shape each tool writes, made from data in the kit's own column names.

Each writer takes the kit's columns (a frame as :func:`helpers.inputs.loading.load_input` gives
them) and writes what the tool's export of the same data looks like: its header (the column
list comes from the tool's published documentation, named in each docstring), its extra header
rows, its date format, its words for empty. The writers are written from that documentation, not
from the kit's profiles, so a profile that reads them back is tested against the tool, not
against itself.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def _write_csv(path: Path, header: list[str], rows: list[list[str]], *, extra: list[list[str]] = ()) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(extra)
        writer.writerows(rows)
    return path


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT else str(value)


def _when(value: object, fmt: str) -> str:
    return "" if pd.isna(value) else pd.Timestamp(value).strftime(fmt)


# --- tickets -----------------------------------------------------------------------------------

#: ServiceNow's CSV export names columns by field name (docs: "Default values for column headers and
#: column values": CSV, "Use field name"); the default incident list layout (Number, Opened, Short
#: description, Caller, Priority, State, Category, Assignment group, Assigned to, Updated) with
#: Resolved, Reopen count, Channel and Service added to it. Field names from the incident table
#: (number, opened_at, caller_id, contact_type = "Channel", business_service = "Service"...).
SERVICENOW_INCIDENT_COLUMNS = [
    "number", "opened_at", "short_description", "caller_id", "priority", "state", "category",
    "assignment_group", "assigned_to", "sys_updated_on", "resolved_at", "reopen_count", "contact_type",
    "business_service",
]


def servicenow_incidents(tickets: pd.DataFrame, path: Path) -> Path:
    """An incident list exported as CSV: display values, dates in the default yyyy-MM-dd HH:mm:ss."""
    rows = []
    for n, t in enumerate(tickets.itertuples(index=False)):
        rows.append([
            t.ticket_id, _when(t.opened, "%Y-%m-%d %H:%M:%S"), f"Issue {n}", f"Caller {n % 97}", "3 - Moderate",
            "Resolved" if pd.notna(t.resolved) else "In Progress", "Software", "Service Desk", "",
            _when(t.resolved if pd.notna(t.resolved) else t.opened, "%Y-%m-%d %H:%M:%S"),
            _when(t.resolved, "%Y-%m-%d %H:%M:%S"), "1" if t.reopened else "0", _text(t.channel), _text(t.service),
        ])
    return _write_csv(path, SERVICENOW_INCIDENT_COLUMNS, rows)


#: The header of a Jira "Export Excel CSV (all fields)" of a service project, as Jira writes it: field
#: labels, a repeated column per value of a multi-value field (Labels, Labels), custom fields as
#: "Custom field (NAME)" (Atlassian: "Export your issues"; the order is a real export's).
JIRA_COLUMNS = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key", "Project name", "Project type",
    "Project lead", "Project description", "Project url", "Priority", "Resolution", "Assignee", "Reporter",
    "Creator", "Created", "Updated", "Last Viewed", "Resolved", "Component/s", "Due Date", "Votes", "Labels",
    "Labels", "Description", "Environment", "Custom field (Request Type)", "Custom field (Satisfaction rating)",
    "Status Category",
]


def jira_issues(tickets: pd.DataFrame, path: Path) -> Path:
    """Service requests exported from Jira: dates as 14/Jul/25 3:42 PM (minutes only), the request type
    as the channel, the component as the service."""
    def jira_date(value: object) -> str:
        if pd.isna(value):
            return ""
        stamp = pd.Timestamp(value)
        return f"{stamp:%d/%b/%y} {stamp.hour % 12 or 12}:{stamp:%M %p}"

    rows = []
    for n, t in enumerate(tickets.itertuples(index=False)):
        rows.append([
            f"Request {n}", t.ticket_id, str(10000 + n), "Service Request", "Resolved" if pd.notna(t.resolved) else "Open",
            "ITSD", "IT Service Desk", "service_desk", "Ada Admin", "", "", "Medium",
            "Done" if pd.notna(t.resolved) else "", "", "Reporter", "Reporter", jira_date(t.opened), jira_date(t.opened),
            "", jira_date(t.resolved), _text(t.service), "", "0", "it", "help" if n % 2 else "", "", "",
            _text(t.channel), "", "Done" if pd.notna(t.resolved) else "To Do",
        ])
    return _write_csv(path, JIRA_COLUMNS, rows)


# --- survey responses --------------------------------------------------------------------------

#: Qualtrics CSV export, "Use numeric values": row 1 the column names (the built-in response fields,
#: then Q1_NPS_GROUP and Q1 for an NPS question, then embedded data), row 2 the question's wording,
#: row 3 the ImportId JSON (Qualtrics: "Export formats" and "Data & Analysis overview").
QUALTRICS_COLUMNS = [
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished", "RecordedDate",
    "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
    "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage", "Q1_NPS_GROUP", "Q1", "Q2",
    "ticket_id", "region", "tier", "channel",
]


def qualtrics(responses: pd.DataFrame, path: Path) -> Path:
    wording = [
        "Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)", "Finished",
        "Recorded Date", "Response ID", "Recipient Last Name", "Recipient First Name", "Recipient Email",
        "External Data Reference", "Location Latitude", "Location Longitude", "Distribution Channel", "User Language",
        "How likely are you to recommend our IT support to a colleague? - Group",
        "How likely are you to recommend our IT support to a colleague?", "What is the main reason for your score?",
        "ticket_id", "region", "tier", "channel",
    ]
    import_ids = [json.dumps({"ImportId": key}) for key in (
        "startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished", "recordedDate", "_recordId",
        "recipientLastName", "recipientFirstName", "recipientEmail", "externalDataReference", "locationLatitude",
        "locationLongitude", "distributionChannel", "userLanguage", "QID1_NPS_GROUP", "QID1", "QID2_TEXT",
        "ticket_id", "region", "tier", "channel",
    )]
    rows = []
    for r in responses.itertuples(index=False):
        group = "3" if r.score >= 9 else "2" if r.score >= 7 else "1"
        when = _when(r.timestamp, "%Y-%m-%d %H:%M:%S")
        rows.append([
            when, when, "0", "", "100", "61", "1", when, r.response_id, "", "", "", "", "", "", "email", "EN", group,
            str(r.score), _text(r.comment), _text(r.ticket_id), _text(r.region), _text(r.tier), _text(r.channel),
        ])
    return _write_csv(path, QUALTRICS_COLUMNS, rows, extra=[wording, import_ids])


#: SurveyMonkey "All responses data" CSV (expanded): row 1 the respondent fields then each question's
#: wording (a multiple-answer question's first option under its wording, the others under blank
#: names), custom variables by name; row 2 "Response", "Open-Ended Response" or the option labels
#: (SurveyMonkey: "Exporting survey results", "Understanding exported data").
SURVEYMONKEY_COLUMNS = [
    "Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
    "Last Name", "Custom Data 1", "How likely is it that you would recommend our IT support to a friend or colleague?",
    "What is the main reason for your score?", "Which channels have you used?", "", "", "ticket_id", "region", "tier",
    "channel",
]


def surveymonkey(responses: pd.DataFrame, path: Path) -> Path:
    second = ["", "", "", "", "", "", "", "", "", "Response", "Open-Ended Response", "Phone", "Chat", "Portal", "", "",
              "", ""]
    rows = []
    for n, r in enumerate(responses.itertuples(index=False)):
        when = _when(r.timestamp, "%m/%d/%Y %I:%M:%S %p")
        rows.append([
            str(11000000000 + n), "404040404", when, when, "", "", "", "", "", str(r.score), _text(r.comment),
            "Phone" if n % 3 == 0 else "", "Chat" if n % 3 == 1 else "", "", _text(r.ticket_id), _text(r.region),
            _text(r.tier), _text(r.channel),
        ])
    return _write_csv(path, SURVEYMONKEY_COLUMNS, rows, extra=[second])


#: Typeform's CSV download: '#' (the response token), each question's wording, hidden fields by name,
#: then Response Type, Start Date (UTC), Stage Date (UTC), Submit Date (UTC), Network ID, Tags
#: (Typeform: "Download your typeform results as XLSX or CSV files").
TYPEFORM_COLUMNS = [
    "#", "How likely are you to recommend our IT support to a friend or colleague?",
    "What is the main reason for your score?", "ticket_id", "region", "tier", "channel", "Response Type",
    "Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)", "Network ID", "Tags",
]


def typeform(responses: pd.DataFrame, path: Path) -> Path:
    rows = []
    for r in responses.itertuples(index=False):
        when = _when(r.timestamp, "%Y-%m-%d %H:%M:%S")
        token = hashlib.sha256(r.response_id.encode()).hexdigest()[:32]
        rows.append([
            token, str(r.score), _text(r.comment), _text(r.ticket_id), _text(r.region), _text(r.tier), _text(r.channel),
            "completed", when, "", when, token[:10], "",
        ])
    return _write_csv(path, TYPEFORM_COLUMNS, rows)


#: A Google Form's responses sheet downloaded as CSV: Timestamp (the spreadsheet's locale, here
#: en_US: 3/1/2025 9:12:44), then each question's wording; no response id (Google Forms Help:
#: "Choose where to save form responses"; Sheets: File > Download > CSV).
GOOGLE_FORMS_COLUMNS = [
    "Timestamp", "How likely are you to recommend our IT support to a friend or colleague?",
    "What is the main reason for your score?", "Your ticket number", "region", "tier", "channel",
]


def google_forms(responses: pd.DataFrame, path: Path) -> Path:
    rows = []
    for r in responses.itertuples(index=False):
        stamp = pd.Timestamp(r.timestamp)
        when = f"{stamp.month}/{stamp.day}/{stamp.year} {stamp.hour}:{stamp:%M:%S}"
        rows.append([when, str(r.score), _text(r.comment), _text(r.ticket_id), _text(r.region), _text(r.tier),
                     _text(r.channel)])
    return _write_csv(path, GOOGLE_FORMS_COLUMNS, rows)


# --- sales and outages -------------------------------------------------------------------------

#: Shopify's orders export ("CSV for Excel, Numbers, or other spreadsheet programs"): one row per line
#: item, the order's own columns on its first row only (Shopify Help: "Exporting orders"; the column
#: list and order as Shopify writes it).
SHOPIFY_COLUMNS = [
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at", "Accepts Marketing",
    "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount", "Shipping Method",
    "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem compare at price", "Lineitem sku",
    "Lineitem requires shipping", "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip", "Billing Province",
    "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street", "Shipping Address1", "Shipping Address2",
    "Shipping Company", "Shipping City", "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone",
    "Notes", "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount", "Vendor",
    "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags", "Risk Level", "Source",
    "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name", "Tax 2 Value", "Tax 3 Name", "Tax 3 Value",
    "Tax 4 Name", "Tax 4 Value", "Tax 5 Name", "Tax 5 Value", "Phone", "Receipt Number", "Duties",
    "Billing Province Name", "Shipping Province Name", "Payment ID", "Payment Terms Name", "Next Payment Due At",
    "Payment References",
]


def shopify_orders(sales: pd.DataFrame, path: Path) -> Path:
    """One Shopify order per sales row (Total = revenue, Source = channel); every 7th order has a second
    line item, written on a continuation row with the order-level columns blank."""
    width = len(SHOPIFY_COLUMNS)
    at = {name: i for i, name in enumerate(SHOPIFY_COLUMNS) if name != "Tax 1 Name"}
    rows = []
    for n, s in enumerate(sales.itertuples(index=False)):
        name = f"#{1001 + n}"
        created = pd.Timestamp(s.timestamp).strftime("%Y-%m-%d %H:%M:%S +0000")
        row = [""] * width
        values = {
            "Name": name, "Email": "", "Financial Status": "paid", "Paid at": created, "Fulfillment Status": "fulfilled",
            "Currency": "EUR", "Subtotal": f"{s.revenue:.2f}", "Shipping": "0.00", "Taxes": "0.00",
            "Total": f"{s.revenue:.2f}", "Created at": created, "Lineitem quantity": "1", "Lineitem name": "Item",
            "Lineitem price": f"{s.revenue:.2f}", "Id": str(5000000000 + n), "Source": s.channel, "Risk Level": "Low",
        }
        for key, value in values.items():
            row[at[key]] = value
        rows.append(row)
        if n % 7 == 0:
            more = [""] * width
            more[at["Name"]], more[at["Lineitem quantity"]], more[at["Lineitem name"]] = name, "1", "Gift wrap"
            rows.append(more)
    return _write_csv(path, SHOPIFY_COLUMNS, rows)


#: PagerDuty's raw incident analytics (Analytics API "Get raw data - multiple incidents", the fields of
#: the Insights incident CSV), in the API reference's order.
PAGERDUTY_COLUMNS = [
    "id", "escalation_policy_id", "incident_type_id", "priority_id", "resolved_by_user_id", "service_id", "team_id",
    "escalation_policy_name", "incident_type_name", "priority_name", "resolved_by_user_name", "service_name",
    "team_name", "assignment_count", "auto_resolved", "business_hour_interruptions", "created_at", "description",
    "engaged_seconds", "engaged_user_count", "escalation_count", "incident_number", "major",
    "manual_escalation_count", "off_hour_interruptions", "priority_order", "reassignment_count", "resolved_at",
    "seconds_to_engage", "seconds_to_first_ack", "seconds_to_mobilize", "seconds_to_resolve",
    "sleep_hour_interruptions", "snoozed_seconds", "status", "timeout_escalation_count", "total_interruptions",
    "total_notifications", "updated_at", "urgency", "user_defined_effort_seconds",
]


def pagerduty_incidents(outages: pd.DataFrame, path: Path) -> Path:
    rows = []
    for n, o in enumerate(outages.itertuples(index=False)):
        start, end = pd.Timestamp(o.start), pd.Timestamp(o.end)
        values = dict.fromkeys(PAGERDUTY_COLUMNS, "")
        values.update({
            "id": o.incident_id, "service_id": f"PSVC{n:03d}", "service_name": o.service, "team_name": "Platform",
            "priority_name": _text(o.severity), "created_at": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "resolved_at": end.strftime("%Y-%m-%dT%H:%M:%SZ"), "description": f"{o.service} down",
            "incident_number": str(100 + n), "major": "true", "status": "resolved", "urgency": "high",
            "seconds_to_resolve": str(int((end - start).total_seconds())), "auto_resolved": "false",
        })
        rows.append([values[c] for c in PAGERDUTY_COLUMNS])
    return _write_csv(path, PAGERDUTY_COLUMNS, rows)


#: Statuspage's incident objects (API reference: GET /pages/{page_id}/incidents), one row per incident
#: with the fields the data README's jq line keeps.
STATUSPAGE_COLUMNS = ["id", "name", "status", "impact", "created_at", "started_at", "resolved_at", "components"]


def statuspage_incidents(outages: pd.DataFrame, path: Path) -> Path:
    rows = []
    for o in outages.itertuples(index=False):
        start, end = pd.Timestamp(o.start), pd.Timestamp(o.end)
        rows.append([
            o.incident_id, f"{o.service} unavailable", "resolved", _text(o.severity),
            (start + pd.Timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z"), start.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            end.strftime("%Y-%m-%dT%H:%M:%S.000Z"), o.service,
        ])
    return _write_csv(path, STATUSPAGE_COLUMNS, rows)


# --- feature usage -----------------------------------------------------------------------------

def _events(usage: pd.DataFrame) -> pd.DataFrame:
    """One event per use (the kit's rows may stand for several uses of a day)."""
    return usage.loc[usage.index.repeat(usage["uses"].fillna(1).astype(int))].reset_index(drop=True)


def amplitude_events(usage: pd.DataFrame, path: Path) -> Path:
    """Amplitude's Export API event fields (Amplitude: "Export API", the event schema), as the data
    README's DuckDB line writes them to Parquet: event_time in UTC with microseconds, text."""
    events = _events(usage)
    table = pa.table({
        "event_time": [pd.Timestamp(t).strftime("%Y-%m-%d %H:%M:%S.%f") for t in events["timestamp"]],
        "event_type": events["feature_id"], "user_id": events["user_id"],
        "device_id": [hashlib.md5(u.encode()).hexdigest() for u in events["user_id"]],
        "amplitude_id": pa.array(range(len(events)), pa.int64()),
    })
    pq.write_table(table, path)
    return path


def mixpanel_events(usage: pd.DataFrame, path: Path) -> Path:
    """Mixpanel's Raw Event Export (event, properties.time in Unix seconds UTC, properties.distinct_id,
    properties.$insert_id), flattened as the data README's DuckDB line does."""
    events = _events(usage)
    seconds = (pd.to_datetime(events["timestamp"]) - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)
    table = pa.table({
        "event": events["feature_id"], "time": pa.array(seconds, pa.int64()), "distinct_id": events["user_id"],
        "$insert_id": [f"ins-{n}" for n in range(len(events))],
    })
    pq.write_table(table, path)
    return path


#: The columns of a Segment warehouse's tracks table (Segment: "Warehouse schemas", tracks).
SEGMENT_TRACKS_COLUMNS = ["id", "anonymous_id", "user_id", "event", "event_text", "timestamp", "received_at",
                          "sent_at", "original_timestamp", "context_library_name"]


def segment_tracks(usage: pd.DataFrame) -> pd.DataFrame:
    """The tracks table of the same events: timestamp with time zone (UTC)."""
    events = _events(usage)
    when = pd.to_datetime(events["timestamp"]).dt.tz_localize("UTC")
    return pd.DataFrame({
        "id": [f"ajs-{n}" for n in range(len(events))], "anonymous_id": [f"anon-{u}" for u in events["user_id"]],
        "user_id": events["user_id"], "event": events["feature_id"],
        "event_text": events["feature_id"], "timestamp": when, "received_at": when, "sent_at": when,
        "original_timestamp": when, "context_library_name": "analytics.js",
    })[SEGMENT_TRACKS_COLUMNS]


# --- the CMDB's transaction log --------------------------------------------------------------------

#: ServiceNow's transaction log (System Logs > Transactions, table syslog_transaction) exported as CSV,
#: field names as the CSV export writes them; the fields the docs list (Created, Type, Created by,
#: Response time, Output length, SQL count, Business rule count, URL, IP address, Protocol...) under
#: the names an export of the table carries.
SERVICENOW_TRANSACTION_COLUMNS = [
    "sys_created_on", "type", "sys_created_by", "response_time", "output_length", "business_rule_count", "url",
    "remote_ip", "protocol", "transaction_pattern",
]
#: What each of the kit's processes looks like in the log: its transaction type.
TRANSACTION_TYPES = {"integration": "rest", "reporting": "report", "discovery": "scheduler"}


def sys_id(ci_id: str) -> str:
    """A configuration item's sys_id (32 hexadecimal digits), made from its kit id."""
    return hashlib.md5(ci_id.encode()).hexdigest()


def servicenow_transactions(access: pd.DataFrame, path: Path) -> Path:
    """The reads of configuration items as form transactions (writes submit the form: sys_action=...),
    with transactions of other pages in between that open no configuration item."""
    rows = []
    for n, a in enumerate(access.itertuples(index=False)):
        kind = TRANSACTION_TYPES.get(a.process, "form")
        item = sys_id(a.ci_id)
        url = f"/cmdb_ci_server.do?sys_id={item}" + ("&sys_action=sysverb_update" if a.action == "write" else "")
        when = pd.Timestamp(a.timestamp).strftime("%Y-%m-%d %H:%M:%S")
        rows.append([when, kind, a.consumer, "412", "20480", "3", url, "10.0.0.1", "HTTP", "/cmdb_ci_server.do"])
        if n % 5 == 0:
            rows.append([when, "list", a.consumer, "380", "9000", "1", "/incident_list.do?sysparm_query=active%3Dtrue",
                         "10.0.0.1", "HTTP", "/incident_list.do"])
    return _write_csv(path, SERVICENOW_TRANSACTION_COLUMNS, rows)
