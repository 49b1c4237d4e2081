// How long until a ticket escalates, or how long it is overdue: "2h 10m left" (amber within args.warn_minutes),
// "overdue 35m" (red). Wall-clock time to the destination; nothing when the field is 0 (no escalation).
// Arguments: field (an epoch field such as escalation_time), warn_minutes (a number).
// Use: computed_fields: [{name: escalation, lambda: {use: escalation_badge, args: {field: escalation_time, warn_minutes: 60}}}]
var due = Number(item[args.field] || 0);
if (!due) return null;
var left = Math.round(due - Date.now() / 1000);
var minutes = Math.floor(Math.abs(left) / 60);
var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), rest = minutes % 60;
var text = days ? days + 'd ' + hours + 'h' : hours ? hours + 'h ' + rest + 'm' : rest + 'm';
var when = new Date(due * 1000).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
if (left <= 0) return {text: 'overdue ' + text, tone: 'red', title: 'Escalated at ' + when};
return {text: text + ' left', tone: left <= args.warn_minutes * 60 ? 'amber' : 'green', title: 'Escalates at ' + when};
