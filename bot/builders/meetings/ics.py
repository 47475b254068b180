"""A meeting as an iCalendar (RFC 5545) file."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import Meeting, MeetingStatus
from bot.services import meetings as svc


def _ics_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 §3.1)."""
    out: list[str] = []
    current = b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics(meeting: Meeting, *, now: datetime, domain: str = "kettle") -> str:
    """A calendar file; a series lists its next dates in UTC (RDATE), so DST needs no VTIMEZONE."""
    upcoming = svc.upcoming_occurrences(meeting, now, 24)
    first = upcoming[0] if upcoming else svc.occurrence_at(meeting, meeting.first_date)
    description = meeting.agenda + ("\n\n" if meeting.agenda else "") + meeting.video_url
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Kettle//Community of Practice//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.id}@{domain}",
        f"SEQUENCE:{meeting.sequence}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(first.starts_at)}",
        f"DURATION:PT{meeting.duration_minutes}M",
        f"SUMMARY:{_ics_escape(meeting.title)}",
        f"DESCRIPTION:{_ics_escape(description)}",
        f"LOCATION:{_ics_escape(meeting.video_url)}",
        f"URL:{meeting.video_url}",
        "STATUS:CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "STATUS:CONFIRMED",
    ]
    if len(upcoming) > 1:
        lines.append("RDATE:" + ",".join(_utc(o.starts_at) for o in upcoming[1:]))
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(_fold(line) + "\r\n" for line in lines)
