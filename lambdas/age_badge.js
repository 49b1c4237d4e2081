// How old a date field of the row is, as "12 days"; amber once it is older than args.warn_days.
// Arguments: field (the name of a date or datetime field, e.g. create_time), warn_days (a number).
// Use: computed_fields: [{name: age, lambda: {use: age_badge, args: {field: create_time, warn_days: 30}}}]
var days = helpers.daysBetween(item[args.field]);
if (days === null) return null;
var text = days === 1 ? '1 day' : days + ' days';
return days > args.warn_days ? {text: text, tone: 'amber', title: 'Older than ' + args.warn_days + ' days'} : text;
