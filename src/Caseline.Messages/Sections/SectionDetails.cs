using System.Text.Json.Serialization;

namespace Caseline.Messages;

/// <summary>
/// The <c>Details</c> of a message: the whole state of one profile section, or of one item of a
/// many-section. Each concrete record is one <see cref="Messages.Section"/>.
/// </summary>
[JsonPolymorphic(
    TypeDiscriminatorPropertyName = "SubType",
    UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(PersonalDetails), "Personal Details")]
[JsonDerivedType(typeof(AccountDetails), "Account Details")]
[JsonDerivedType(typeof(EmailDetails), "Email Details")]
[JsonDerivedType(typeof(AddressDetails), "Address Details")]
[JsonDerivedType(typeof(ContactDetails), "Contact Details")]
[JsonDerivedType(typeof(VehicleDetails), "Vehicle Details")]
[JsonDerivedType(typeof(EmploymentDetails), "Employment Details")]
[JsonDerivedType(typeof(CaseDetails), "Case Details")]
[JsonDerivedType(typeof(ProtectiveOrderDetails), "Protective Order Details")]
public abstract record SectionDetails
{
    private protected SectionDetails()
    {
    }

    /// <summary>The section these details belong to.</summary>
    [JsonIgnore]
    public Section Section => SectionOfRecord;

    /// <summary>The section's wire name, written as <c>Details.SubType</c>.</summary>
    [JsonIgnore]
    public string SubType => Section.Name;

    /// <summary>True when no field has a value: such a section is not emitted on create.</summary>
    [JsonIgnore]
    public bool IsEmpty => Section.IsEmpty(this);

    // Not the public property itself: an override would not inherit [JsonIgnore] and would be serialized.
    private protected abstract Section SectionOfRecord { get; }
}

/// <summary>Details of one item of a many-section (addresses, contacts, vehicles, employers, cases, protective orders).</summary>
public abstract record ItemDetails : SectionDetails
{
    private protected ItemDetails()
    {
    }

    /// <summary>The item's own identifier: the agency's, or one the server assigned.</summary>
    public abstract string IntegrationId { get; init; }
}
