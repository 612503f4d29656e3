using System.Text.Json;
using Caseline.Messages.Validation;

namespace Caseline.Messages.Json;

/// <summary>
/// Reads what a CMS or an officer sends to the Sync API: one section's fields, or a whole profile
/// document. On top of <see cref="MessageReader"/>'s tolerance it normalises, so that cosmetic
/// differences never count as changes: text is trimmed and blank text becomes <c>null</c>,
/// enumerations take their canonical case, an IANA time-zone id becomes its Windows id, and a wage
/// loses trailing zeros. Values of the wrong type become field errors, never exceptions. Unlike a message, a
/// Sync body is strict about names: a property that is not a field of the body's sections (after case-insensitive
/// matching and the documented aliases) is an error naming the closest known field, so that a misspelt field is never
/// read as an absent one and a stored value never becomes null by a typo.
/// </summary>
public static class SyncInput
{
    /// <summary>
    /// Reads and validates one section from a request body. An item's identifier comes from the path;
    /// a body that names another one is refused.
    /// </summary>
    /// <param name="body">The request body.</param>
    /// <param name="section">The section the route is for.</param>
    /// <param name="itemIntegrationId">The item's identifier from the path; null for a client's own section.</param>
    /// <param name="clock">Where "today" comes from for validation; the system clock when null.</param>
    /// <returns>The normalised details when valid, and the errors keyed by field path (empty when valid).</returns>
    public static (SectionDetails? Details, Dictionary<string, string[]> Errors) ReadSection(
        JsonElement body, Section section, string? itemIntegrationId, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (itemIntegrationId is not null && body.ValueKind == JsonValueKind.Object
            && body.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, "IntegrationId", StringComparison.OrdinalIgnoreCase)) is { Value.ValueKind: JsonValueKind.String } named
            && !string.Equals(named.Value.GetString()?.Trim(), itemIntegrationId, StringComparison.Ordinal))
        {
            errors["IntegrationId"] = ["IntegrationId is invalid"];
            return (null, errors);
        }

        var details = Read(() => MessageReader.ReadDetails(body, section, itemIntegrationId ?? (section.IsCollection ? "" : null)), "", errors);
        if (details is not null)
        {
            AddErrors(errors, "", MessageValidator.Validate(details, clock));
        }

        UnknownFields(body, section.Fields, SectionExtras, section.Name, "", errors);

        return (errors.Count == 0 ? details : null, errors);
    }

    /// <summary>
    /// Reads and validates a profile document. <see cref="ProfileInput.Present"/> tells which of the
    /// client's own sections had any field in the body, so that a caller may leave the others as they are.
    /// </summary>
    /// <param name="body">The document.</param>
    /// <param name="clock">Where "today" comes from for validation; the system clock when null.</param>
    public static ProfileInput ReadProfile(JsonElement body, TimeProvider? clock = null)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors[""] = ["The document must be a JSON object"];
            return new ProfileInput(null, [], [], null, errors);
        }

        string? integrationId = null;
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var arrays = new Dictionary<Section, JsonElement>();
        foreach (var property in body.EnumerateObject())
        {
            names.Add(property.Name);
            if (string.Equals(property.Name, "IntegrationId", StringComparison.OrdinalIgnoreCase))
            {
                integrationId = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()?.Trim() : null;
                if (property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                {
                    errors["IntegrationId"] = ["IntegrationId is invalid"];
                }
            }
            else if (Section.All.FirstOrDefault(s => string.Equals(s.ProfileProperty, property.Name, StringComparison.OrdinalIgnoreCase)) is { } collection)
            {
                arrays[collection] = property.Value;
            }
        }

        if (!string.IsNullOrEmpty(integrationId) && MessageValidator.ValidateIntegrationId(integrationId) is { Length: > 0 } messages)
        {
            errors["IntegrationId"] = messages;
        }

        var present = new List<SectionDetails>();
        var all = new List<SectionDetails>();
        foreach (var section in Section.All.Where(s => !s.IsCollection))
        {
            if (Read(() => MessageReader.ReadDetails(body, section), "", errors) is { } details)
            {
                // A section with no value at all is no section (or, where it existed, its removal): nothing to validate.
                if (!details.IsEmpty)
                {
                    AddErrors(errors, "", MessageValidator.Validate(details, clock));
                }

                all.Add(details);
                if (section.Fields.Any(f => names.Contains(f.Name) || f.Aliases.Any(names.Contains)))
                {
                    present.Add(details);
                }
            }
        }

        var items = new List<ItemDetails>();
        foreach (var (section, array) in arrays)
        {
            ReadItems(section, array, items, errors, clock);
        }

        UnknownFields(body, ProfileFields, ProfileExtras, "a client profile", "", errors);

        return new ProfileInput(integrationId, present, all, arrays.Count == 0 ? null : items, errors);
    }

    /// <summary>Normalises details as described on <see cref="SyncInput"/>.</summary>
    public static SectionDetails Normalize(SectionDetails details) => details switch
    {
        PersonalDetails p => p with
        {
            FirstName = Text(p.FirstName), LastName = Text(p.LastName), TimeZone = TimeZone(p.TimeZone), Gender = Text(p.Gender),
            Ethinicity = Text(p.Ethinicity), StaticRiskRating = Text(p.StaticRiskRating), NeedsClassification = Text(p.NeedsClassification),
        },
        AccountDetails a => a with
        {
            Status = Choice(a.Status, AccountDetails.Active, AccountDetails.Inactive),
            AssignedCaseload = Text(a.AssignedCaseload), AssignedOfficer = Text(a.AssignedOfficer),
        },
        EmailDetails e => e with { Email = Text(e.Email) },
        AddressDetails a => a with { AddressType = Choice(a.AddressType, "Home", "Work", "Other"), Address = Text(a.Address) },
        ContactDetails c => c with { ContactType = Choice(c.ContactType, "HomePhone", "MobilePhone", "OtherPhone"), Contact = Text(c.Contact) },
        VehicleDetails v => v with { Make = Text(v.Make), Model = Text(v.Model), Year = Text(v.Year), Color = Text(v.Color), LicensePlate = Text(v.LicensePlate) },
        EmploymentDetails e => e with
        {
            Employer = Text(e.Employer), Occupation = Text(e.Occupation), WorkAddress = Text(e.WorkAddress), WorkPhone = Text(e.WorkPhone),
            Wage = e.Wage / 1.000000000000000000000000000000000m, WageUnit = Text(e.WageUnit), WorkEnvironment = Text(e.WorkEnvironment),
        },
        CaseDetails c => c with
        {
            CaseNumber = Text(c.CaseNumber), Status = Text(c.Status),
            Offenses = ValueList.From(c.Offenses.Select(o => o with { Label = Text(o.Label), Statute = Text(o.Statute), Category = Text(o.Category) })),
        },
        ProtectiveOrderDetails o => o with
        {
            OrderType = Text(o.OrderType), ProtectedPersons = Text(o.ProtectedPersons), StayAwayPersons = Text(o.StayAwayPersons),
            StayAwayLocation = Text(o.StayAwayLocation), StayAwayVehicles = Text(o.StayAwayVehicles),
            MoveOutAddress = Text(o.MoveOutAddress), ChildCustody = Text(o.ChildCustody),
        },
        _ => details,
    };

    private static void ReadItems(Section section, JsonElement array, List<ItemDetails> items, Dictionary<string, string[]> errors, TimeProvider? clock)
    {
        var name = section.ProfileProperty!;
        if (array.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            errors[name] = [$"{name} is invalid"];
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var prefix = $"{name}[{index++}].";
            var id = element.ValueKind == JsonValueKind.Object ? ItemId(section, element) : null;
            if (element.ValueKind == JsonValueKind.Object && string.IsNullOrWhiteSpace(id))
            {
                errors[prefix + "IntegrationId"] = ["IntegrationId is required"];
                continue;
            }

            if (id is not null && !seen.Add(id))
            {
                errors[prefix + "IntegrationId"] = ["IntegrationId is invalid"];
                continue;
            }

            if (Read(() => MessageReader.ReadDetails(element, section, id ?? ""), prefix, errors) is ItemDetails item)
            {
                AddErrors(errors, prefix, MessageValidator.Validate(item, clock));
                items.Add(item);
            }

            UnknownFields(element, section.Fields, SectionExtras, section.Name, prefix, errors);
        }
    }

    // A section body may name its SubType (the reader checks it agrees), as a message's Details do.
    private static readonly string[] SectionExtras = ["SubType"];

    // The top level of a profile document: the client's identifier and own sections' fields, and one array per many-section.
    private static readonly FieldSpec[] ProfileFields = [.. Section.All.Where(s => !s.IsCollection).SelectMany(s => s.Fields)];
    private static readonly string[] ProfileExtras = ["IntegrationId", .. Section.All.Where(s => s.IsCollection).Select(s => s.ProfileProperty!)];

    /// <summary>
    /// Adds an error for each property of <paramref name="body"/> that is none of <paramref name="fields"/> (nor an alias, nor one of
    /// <paramref name="extras"/>), naming the closest known name when one is close; then looks inside the body's lists the same way.
    /// Names only: a value is personal data and never appears in an error.
    /// </summary>
    private static void UnknownFields(
        JsonElement body, IReadOnlyList<FieldSpec> fields, IReadOnlyList<string> extras, string what, string prefix, Dictionary<string, string[]> errors)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        string[] known = [.. fields.SelectMany(f => f.Aliases.Prepend(f.Name)), .. extras];
        foreach (var property in body.EnumerateObject())
        {
            var field = fields.FirstOrDefault(f => string.Equals(f.Name, property.Name, StringComparison.OrdinalIgnoreCase));
            if (field is { Kind: FieldKind.List } && property.Value.ValueKind == JsonValueKind.Array)
            {
                var index = 0;
                foreach (var element in property.Value.EnumerateArray())
                {
                    UnknownFields(element, field.ItemFields, [], field.Name, $"{prefix}{field.Name}[{index++}].", errors);
                }
            }
            else if (field is null && !known.Contains(property.Name, StringComparer.OrdinalIgnoreCase))
            {
                var name = FieldNames.Shown(property.Name);
                var closest = FieldNames.Closest(property.Name, known);
                errors[prefix + name] = [closest is null ? $"{name} is not a field of {what}" : $"{name} is not a field of {what}; did you mean {closest}?"];
            }
        }
    }

    // A case is known by its number unless the caller names it otherwise.
    private static string? ItemId(Section section, JsonElement element)
    {
        string? caseNumber = null;
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, "IntegrationId", StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.String)
            {
                return property.Value.GetString()?.Trim();
            }

            if (section == Section.CaseDetails && string.Equals(property.Name, "CaseNumber", StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.String)
            {
                caseNumber = property.Value.GetString()?.Trim();
            }
        }

        return caseNumber;
    }

    private static SectionDetails? Read(Func<SectionDetails> read, string prefix, Dictionary<string, string[]> errors)
    {
        try
        {
            return Normalize(read());
        }
        catch (MessageFormatException e)
        {
            // "$.Offenses[0].Date" names the field "Date"; the key keeps the whole path below the body.
            var path = e.Path is { Length: > 2 } p ? p[2..] : "";
            var field = path[(path.LastIndexOf('.') + 1)..];
            field = field.Contains('[', StringComparison.Ordinal) ? field[..field.IndexOf('[', StringComparison.Ordinal)] : field;
            errors[(prefix + path).TrimEnd('.')] = [field.Length > 0 ? $"{field} is invalid" : e.Message];
            return null;
        }
    }

    private static void AddErrors(Dictionary<string, string[]> errors, string prefix, IReadOnlyDictionary<string, string[]> found)
    {
        foreach (var (key, messages) in found)
        {
            errors[prefix + key] = messages;
        }
    }

    private static string? Text(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string? Choice(string? value, params string[] allowed)
    {
        var text = Text(value);
        return allowed.FirstOrDefault(a => string.Equals(a, text, StringComparison.OrdinalIgnoreCase)) ?? text;
    }

    private static string? TimeZone(string? value)
    {
        var id = Text(value);
        return id is not null && !TimeZoneInfo.TryConvertWindowsIdToIanaId(id, out _) && TimeZoneInfo.TryConvertIanaIdToWindowsId(id, out var windowsId)
            ? windowsId
            : id;
    }
}

/// <summary>A profile document as read from a request.</summary>
/// <param name="IntegrationId">The client's identifier from the body, if any.</param>
/// <param name="Present">The client's own sections of which the body carried at least one field.</param>
/// <param name="Sections">All three of the client's own sections as the body gives them (absent fields are null).</param>
/// <param name="Items">Every item of every array in the body; null when the body has no array at all.</param>
/// <param name="Errors">Fields that could not be read or are invalid, keyed by path; empty when the document is valid.</param>
public sealed record ProfileInput(
    string? IntegrationId,
    IReadOnlyList<SectionDetails> Present,
    IReadOnlyList<SectionDetails> Sections,
    IReadOnlyList<ItemDetails>? Items,
    IReadOnlyDictionary<string, string[]> Errors);
