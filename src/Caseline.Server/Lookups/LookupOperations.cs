using Caseline.Messages;
using Caseline.Server.Identity;
using Caseline.Server.Storage;

namespace Caseline.Server.Lookups;

/// <summary>What saving a lookup list came to.</summary>
internal abstract record SaveLookupResult
{
    private SaveLookupResult()
    {
    }

    public sealed record Saved(LookupList List) : SaveLookupResult;

    /// <summary>The values' errors, keyed by field.</summary>
    public sealed record Invalid(IReadOnlyDictionary<string, string[]> Errors) : SaveLookupResult;

    /// <summary>The wire contract fixes this list: an agency cannot change it.</summary>
    public sealed record Fixed : SaveLookupResult;

    public sealed record NoSuchList : SaveLookupResult;
}

/// <summary>
/// The value lists an officer picks from. Fixed lists come from the wire contract; the others have
/// defaults an agency may replace; caseloads and officers also gather the values clients carry.
/// </summary>
internal sealed class LookupOperations(ClientStorage clients, WriteQueue writes)
{
    private static readonly Lazy<IReadOnlyList<string>> TimeZones = new(() =>
        [.. TimeZoneInfo.GetSystemTimeZones()
            .Select(z => TimeZoneInfo.TryConvertIanaIdToWindowsId(z.Id, out var windows) ? windows : null)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)]);

    private static readonly Dictionary<string, Func<IReadOnlyList<string>>> FixedLists = new(StringComparer.OrdinalIgnoreCase)
    {
        ["addressTypes"] = () => Allowed(Section.AddressDetails, "AddressType"),
        ["contactTypes"] = () => Allowed(Section.ContactDetails, "ContactType"),
        ["timeZones"] = () => TimeZones.Value,
    };

    private static readonly Dictionary<string, string[]> Defaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["genders"] = ["Female", "Male", "Non-binary", "Unknown"],
        ["ethnicities"] = ["American Indian or Alaska Native", "Asian", "Black or African American", "Caucasian", "Hispanic or Latino", "Native Hawaiian or Other Pacific Islander", "Other", "Unknown"],
        ["staticRiskRatings"] = ["Low", "Moderate", "High", "High - Violence"],
        ["needsClassifications"] = ["Low", "Moderate", "High", "High - Mental Health", "High - Substance Use"],
        ["offenseCategories"] = ["Felony", "Misdemeanor", "Infraction", "Other"],
        ["caseloads"] = [],
        ["officers"] = [],
    };

    /// <summary>The kinds an agency may configure.</summary>
    public static IEnumerable<string> Configurable => Defaults.Keys;

    /// <summary>A lookup list of the agency; null when there is no such kind.</summary>
    public LookupList? Find(long agencyId, string kind)
    {
        if (FixedLists.TryGetValue(kind, out var values))
        {
            return new LookupList(Canonical(kind), values());
        }

        if (!Defaults.TryGetValue(kind, out var defaults))
        {
            return null;
        }

        var name = Canonical(kind);
        var configured = clients.LookupValues(agencyId, name);
        var list = new List<string>(configured.Count > 0 ? configured : defaults);
        list.AddRange(clients.ValuesInUse(agencyId, name).Where(v => !list.Contains(v, StringComparer.Ordinal)).ToList());
        return new LookupList(name, list);
    }

    /// <summary>A lookup list's values for a drop-down; empty when there is no such kind.</summary>
    public IReadOnlyList<string> Values(long agencyId, string kind) => Find(agencyId, kind)?.Values ?? [];

    /// <summary>Replaces an agency-configurable list; an empty list goes back to the defaults.</summary>
    public async Task<SaveLookupResult> SaveAsync(Caller caller, string kind, IReadOnlyList<string?>? values, CancellationToken ct)
    {
        if (FixedLists.ContainsKey(kind))
        {
            return new SaveLookupResult.Fixed();
        }

        if (!Defaults.ContainsKey(kind))
        {
            return new SaveLookupResult.NoSuchList();
        }

        var list = (values ?? []).Select(v => v?.Trim() ?? "").ToList();
        if (list.Count > 500 || list.Any(v => v.Length is 0 or > 100 || !Messages.Validation.MessageValidator.IsAllowedText(v)) || list.Distinct(StringComparer.Ordinal).Count() != list.Count)
        {
            return new SaveLookupResult.Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { ["Values"] = ["Values is invalid"] });
        }

        var name = Canonical(kind);
        await writes.RunAsync(scope =>
        {
            clients.ReplaceLookup(scope, caller.AgencyId, name, list);
            return true;
        }, ct);
        return new SaveLookupResult.Saved(new LookupList(name, list));
    }

    private static string Canonical(string kind) =>
        FixedLists.Keys.Concat(Defaults.Keys).First(k => string.Equals(k, kind, StringComparison.OrdinalIgnoreCase));

    private static IReadOnlyList<string> Allowed(Section section, string field) =>
        section.Fields.Single(f => f.Name == field).AllowedValues;
}
