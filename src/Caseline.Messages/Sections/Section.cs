using Caseline.Messages.Validation;

namespace Caseline.Messages;

/// <summary>
/// A section of the client profile: its wire name, whether it holds many items, and the table of
/// its fields. The table drives validation, section inference and the documented limits, so they
/// cannot disagree.
/// </summary>
public abstract class Section
{
    private protected Section(string name, Type detailsType, string? collectionName, string? profileProperty)
    {
        Name = name;
        DetailsType = detailsType;
        CollectionName = collectionName;
        ProfileProperty = profileProperty;
    }

    /// <summary>The wire name, as written in <c>Details.SubType</c>: <c>"Address Details"</c>.</summary>
    public string Name { get; }

    /// <summary>The record type that carries this section's details.</summary>
    public Type DetailsType { get; }

    /// <summary>The Sync API's collection segment (<c>addresses</c>), or null for a one-per-client section.</summary>
    public string? CollectionName { get; }

    /// <summary>The array's name in the profile document (<c>Addresses</c>), or null for a one-per-client section.</summary>
    public string? ProfileProperty { get; }

    /// <summary>True for the many-sections, whose items each carry an <c>IntegrationId</c>.</summary>
    public bool IsCollection => CollectionName is not null;

    /// <summary>The fields of <c>Details</c> in wire order (after <c>SubType</c>).</summary>
    public abstract IReadOnlyList<FieldSpec> Fields { get; }

    /// <inheritdoc />
    public override string ToString() => Name;

    internal abstract bool IsEmpty(SectionDetails details);

    internal abstract void Validate(SectionDetails details, ValidationBuilder errors, string prefix);

    /// <summary>The one section named <c>Personal Details</c>.</summary>
    public static readonly Section PersonalDetails = new Section<PersonalDetails>("Personal Details", null, null, new FieldTable<PersonalDetails>()
            .Text("FirstName", 100, d => d.FirstName, required: true)
            .Text("LastName", 100, d => d.LastName, required: true)
            .Date("DateOfBirth", d => d.DateOfBirth, DateRule.NotInFuture)
            .TimeZone("TimeZone", d => d.TimeZone)
            .Text("Gender", 50, d => d.Gender)
            .Text("Ethinicity", 50, d => d.Ethinicity, aliases: ["Ethnicity"])
            .Text("StaticRiskRating", 100, d => d.StaticRiskRating)
            .Text("NeedsClassification", 100, d => d.NeedsClassification));

    /// <summary>The one section named <c>Account Details</c>.</summary>
    public static readonly Section AccountDetails = new Section<AccountDetails>("Account Details", null, null, new FieldTable<AccountDetails>()
            .Enumeration("Status", [Messages.AccountDetails.Active, Messages.AccountDetails.Inactive], d => d.Status)
            .Text("AssignedCaseload", 100, d => d.AssignedCaseload)
            .Text("AssignedOfficer", 254, d => d.AssignedOfficer));

    /// <summary>The one section named <c>Email Details</c>.</summary>
    public static readonly Section EmailDetails = new Section<EmailDetails>("Email Details", null, null, new FieldTable<EmailDetails>()
            .Email("Email", 254, d => d.Email));

    /// <summary>The many-section named <c>Address Details</c>.</summary>
    public static readonly Section AddressDetails = new Section<AddressDetails>("Address Details", "addresses", "Addresses", new FieldTable<AddressDetails>()
            .Identifier(d => d.IntegrationId)
            .Enumeration("AddressType", ["Home", "Work", "Other"], d => d.AddressType, required: true)
            .Text("Address", 500, d => d.Address, required: true));

    /// <summary>The many-section named <c>Contact Details</c>.</summary>
    public static readonly Section ContactDetails = new Section<ContactDetails>("Contact Details", "contacts", "Contacts", new FieldTable<ContactDetails>()
            .Identifier(d => d.IntegrationId)
            .Enumeration("ContactType", ["HomePhone", "MobilePhone", "OtherPhone"], d => d.ContactType, required: true)
            .Text("Contact", 50, d => d.Contact, required: true));

    /// <summary>The many-section named <c>Vehicle Details</c>.</summary>
    public static readonly Section VehicleDetails = new Section<VehicleDetails>("Vehicle Details", "vehicles", "Vehicles", new FieldTable<VehicleDetails>()
            .Identifier(d => d.IntegrationId)
            .Text("Make", 50, d => d.Make, required: true)
            .Text("Model", 50, d => d.Model)
            .Year("Year", d => d.Year)
            .Text("Color", 30, d => d.Color)
            .Text("LicensePlate", 20, d => d.LicensePlate));

    /// <summary>The many-section named <c>Employment Details</c>.</summary>
    public static readonly Section EmploymentDetails = new Section<EmploymentDetails>("Employment Details", "employers", "Employers", new FieldTable<EmploymentDetails>()
            .Identifier(d => d.IntegrationId)
            .Text("Employer", 200, d => d.Employer, required: true)
            .Text("Occupation", 100, d => d.Occupation)
            .Text("WorkAddress", 500, d => d.WorkAddress)
            .Text("WorkPhone", 50, d => d.WorkPhone)
            .Number("Wage", 0m, 1_000_000_000m, d => d.Wage)
            .Text("WageUnit", 30, d => d.WageUnit)
            .Text("WorkEnvironment", 200, d => d.WorkEnvironment));

    /// <summary>The many-section named <c>Case Details</c>; offenses live inside their case.</summary>
    public static readonly Section CaseDetails = new Section<CaseDetails>("Case Details", "cases", "Cases", new FieldTable<CaseDetails>()
            .Identifier(d => d.IntegrationId)
            .Text("CaseNumber", 64, d => d.CaseNumber, required: true)
            .Date("CaseDate", d => d.CaseDate)
            .Text("Status", 50, d => d.Status)
            .List("Offenses", 100, d => d.Offenses, new FieldTable<Offense>()
            .Text("Label", 200, o => o.Label, required: true)
            .Date("Date", o => o.Date)
            .Text("Statute", 100, o => o.Statute)
            .Text("Category", 100, o => o.Category)
            .Boolean("IsPrimary", o => o.IsPrimary)));

    /// <summary>The many-section named <c>Protective Order Details</c>.</summary>
    public static readonly Section ProtectiveOrderDetails = new Section<ProtectiveOrderDetails>("Protective Order Details", "protectiveOrders", "ProtectiveOrders", new FieldTable<ProtectiveOrderDetails>()
            .Identifier(d => d.IntegrationId)
            .Text("OrderType", 100, d => d.OrderType, required: true)
            .Date("EffectiveDate", d => d.EffectiveDate)
            .Date("ExpirationDate", d => d.ExpirationDate, notBefore: ("EffectiveDate", d => d.EffectiveDate))
            .Text("ProtectedPersons", 500, d => d.ProtectedPersons)
            .Boolean("PeacefulContact", d => d.PeacefulContact)
            .Boolean("NoContact", d => d.NoContact)
            .Text("StayAwayPersons", 500, d => d.StayAwayPersons)
            .Text("StayAwayLocation", 500, d => d.StayAwayLocation, aliases: ["StayAwayLocations"])
            .Text("StayAwayVehicles", 500, d => d.StayAwayVehicles)
            .Text("MoveOutAddress", 500, d => d.MoveOutAddress)
            .Text("ChildCustody", 500, d => d.ChildCustody));

    /// <summary>Every section, in the order a profile lists them.</summary>
    public static IReadOnlyList<Section> All { get; } =
    [
        PersonalDetails, AccountDetails, EmailDetails, AddressDetails, ContactDetails,
        VehicleDetails, EmploymentDetails, CaseDetails, ProtectiveOrderDetails,
    ];

    /// <summary>The section with this wire name (compared case-insensitively), or null.</summary>
    public static Section? Find(string? name) =>
        All.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The many-section with this Sync collection segment (<c>addresses</c>, compared case-insensitively), or null.</summary>
    public static Section? FindCollection(string? collectionName) =>
        All.FirstOrDefault(s => s.IsCollection && string.Equals(s.CollectionName, collectionName, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Guesses the section of details that name no <c>SubType</c> from the fields they carry: the section
    /// owning the most of them wins; null when none owns any or two own equally many.
    /// </summary>
    public static Section? InferFromFields(IEnumerable<string> propertyNames)
    {
        var names = propertyNames.ToHashSet(StringComparer.OrdinalIgnoreCase);
        names.Remove("IntegrationId");
        names.Remove("SubType");
        Section? best = null;
        var bestScore = 0;
        var tied = false;
        foreach (var section in All)
        {
            var score = section.Fields.Count(f => names.Contains(f.Name) || f.Aliases.Any(names.Contains));
            if (score > bestScore)
            {
                (best, bestScore, tied) = (section, score, false);
            }
            else if (score == bestScore && score > 0)
            {
                tied = true;
            }
        }

        return tied ? null : best;
    }
}
