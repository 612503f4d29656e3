using System.Text.Json.Serialization;
using Caseline.Messages.Json;

namespace Caseline.Messages;

/// <summary>
/// A client's whole profile as the Sync API shows it (and as each line of a bulk sync carries it): the
/// fields of Personal, Account and Email Details at the top level, then one array per many-section.
/// Items carry their <c>IntegrationId</c> and their section's fields, without <c>SubType</c>.
/// </summary>
/// <param name="IntegrationId">The agency's own identifier of the client.</param>
public sealed record ClientProfile(string IntegrationId)
{
    /// <summary>Personal Details: given name.</summary>
    public string? FirstName { get; init; }

    /// <summary>Personal Details: family name.</summary>
    public string? LastName { get; init; }

    /// <summary>Personal Details: date of birth.</summary>
    public DateOnly? DateOfBirth { get; init; }

    /// <summary>Personal Details: Windows time-zone id.</summary>
    public string? TimeZone { get; init; }

    /// <summary>Personal Details: gender.</summary>
    public string? Gender { get; init; }

    /// <summary>Personal Details: ethnicity (wire spelling).</summary>
    public string? Ethinicity { get; init; }

    /// <summary>Personal Details: static risk rating.</summary>
    public string? StaticRiskRating { get; init; }

    /// <summary>Personal Details: needs classification.</summary>
    public string? NeedsClassification { get; init; }

    /// <summary>Account Details: <c>Active</c> or <c>Inactive</c>.</summary>
    public string? Status { get; init; }

    /// <summary>Account Details: caseload.</summary>
    public string? AssignedCaseload { get; init; }

    /// <summary>Account Details: officer.</summary>
    public string? AssignedOfficer { get; init; }

    /// <summary>Email Details: the address.</summary>
    public string? Email { get; init; }

    /// <summary>The client's addresses.</summary>
    [JsonConverter(typeof(ValueListConverter<AddressDetails>))]
    public ValueList<AddressDetails> Addresses { get; init; } = [];

    /// <summary>The client's phone numbers.</summary>
    [JsonConverter(typeof(ValueListConverter<ContactDetails>))]
    public ValueList<ContactDetails> Contacts { get; init; } = [];

    /// <summary>The client's vehicles.</summary>
    [JsonConverter(typeof(ValueListConverter<VehicleDetails>))]
    public ValueList<VehicleDetails> Vehicles { get; init; } = [];

    /// <summary>The client's employers.</summary>
    [JsonConverter(typeof(ValueListConverter<EmploymentDetails>))]
    public ValueList<EmploymentDetails> Employers { get; init; } = [];

    /// <summary>The client's court cases, each with its offenses.</summary>
    [JsonConverter(typeof(ValueListConverter<CaseDetails>))]
    public ValueList<CaseDetails> Cases { get; init; } = [];

    /// <summary>The client's protective orders.</summary>
    [JsonConverter(typeof(ValueListConverter<ProtectiveOrderDetails>))]
    public ValueList<ProtectiveOrderDetails> ProtectiveOrders { get; init; } = [];

    /// <summary>The Personal Details section held in this profile.</summary>
    [JsonIgnore]
    public PersonalDetails Personal =>
        new(FirstName, LastName, DateOfBirth, TimeZone, Gender, Ethinicity, StaticRiskRating, NeedsClassification);

    /// <summary>The Account Details section held in this profile.</summary>
    [JsonIgnore]
    public AccountDetails Account => new(Status, AssignedCaseload, AssignedOfficer);

    /// <summary>The Email Details section held in this profile.</summary>
    [JsonIgnore]
    public EmailDetails EmailDetails => new(Email);

    /// <summary>Every section that has a value, then every item, in the order of <see cref="Section.All"/>.</summary>
    [JsonIgnore]
    public IEnumerable<SectionDetails> Sections =>
        new SectionDetails[] { Personal, Account, EmailDetails }.Where(s => !s.IsEmpty)
            .Concat(Addresses).Concat(Contacts).Concat(Vehicles).Concat(Employers).Concat(Cases).Concat(ProtectiveOrders);

    /// <summary>The profile holding <paramref name="sections"/>; items are listed by their identifiers in ordinal order.</summary>
    public static ClientProfile FromSections(string integrationId, IEnumerable<SectionDetails> sections)
    {
        var profile = new ClientProfile(integrationId);
        var items = new List<ItemDetails>();
        foreach (var section in sections)
        {
            profile = section switch
            {
                PersonalDetails p => profile with
                {
                    FirstName = p.FirstName, LastName = p.LastName, DateOfBirth = p.DateOfBirth, TimeZone = p.TimeZone,
                    Gender = p.Gender, Ethinicity = p.Ethinicity, StaticRiskRating = p.StaticRiskRating, NeedsClassification = p.NeedsClassification,
                },
                AccountDetails a => profile with { Status = a.Status, AssignedCaseload = a.AssignedCaseload, AssignedOfficer = a.AssignedOfficer },
                EmailDetails e => profile with { Email = e.Email },
                ItemDetails item => Add(profile, item, items),
                _ => throw new ArgumentException($"Unknown section {section.SubType}", nameof(sections)),
            };
        }

        items.Sort((x, y) => string.CompareOrdinal(x.IntegrationId, y.IntegrationId));
        return profile with
        {
            Addresses = ValueList.From(items.OfType<AddressDetails>()),
            Contacts = ValueList.From(items.OfType<ContactDetails>()),
            Vehicles = ValueList.From(items.OfType<VehicleDetails>()),
            Employers = ValueList.From(items.OfType<EmploymentDetails>()),
            Cases = ValueList.From(items.OfType<CaseDetails>()),
            ProtectiveOrders = ValueList.From(items.OfType<ProtectiveOrderDetails>()),
        };

        static ClientProfile Add(ClientProfile profile, ItemDetails item, List<ItemDetails> items)
        {
            items.Add(item);
            return profile;
        }
    }
}
