using System.Text.Json.Serialization;
using Caseline.Messages.Json;

namespace Caseline.Messages;

/// <summary><c>Address Details</c>: one of the client's addresses.</summary>
/// <param name="IntegrationId">The address's own identifier.</param>
/// <param name="AddressType"><c>Home</c>, <c>Work</c> or <c>Other</c>.</param>
/// <param name="Address">The address, on one line.</param>
public sealed record AddressDetails(
    string IntegrationId,
    string? AddressType,
    string? Address) : ItemDetails
{
    private protected override Section SectionOfRecord => Section.AddressDetails;
}

/// <summary><c>Contact Details</c>: one of the client's phone numbers.</summary>
/// <param name="IntegrationId">The contact's own identifier.</param>
/// <param name="ContactType"><c>HomePhone</c>, <c>MobilePhone</c> or <c>OtherPhone</c>.</param>
/// <param name="Contact">The number.</param>
public sealed record ContactDetails(
    string IntegrationId,
    string? ContactType,
    string? Contact) : ItemDetails
{
    private protected override Section SectionOfRecord => Section.ContactDetails;
}

/// <summary><c>Vehicle Details</c>: one vehicle the client uses.</summary>
/// <param name="IntegrationId">The vehicle's own identifier.</param>
/// <param name="Make">Manufacturer.</param>
/// <param name="Model">Model.</param>
/// <param name="Year">Model year as a four-digit string, for example <c>"2016"</c>.</param>
/// <param name="Color">Color.</param>
/// <param name="LicensePlate">License plate.</param>
public sealed record VehicleDetails(
    string IntegrationId,
    string? Make,
    string? Model,
    [property: JsonConverter(typeof(YearConverter))] string? Year,
    string? Color,
    string? LicensePlate) : ItemDetails
{
    private protected override Section SectionOfRecord => Section.VehicleDetails;
}

/// <summary><c>Employment Details</c>: one of the client's employers.</summary>
/// <param name="IntegrationId">The employment's own identifier.</param>
/// <param name="Employer">Employer's name.</param>
/// <param name="Occupation">Occupation.</param>
/// <param name="WorkAddress">Address of the workplace.</param>
/// <param name="WorkPhone">Phone number at work.</param>
/// <param name="Wage">Wage, a JSON number.</param>
/// <param name="WageUnit">What the wage is per, for example <c>Hour</c>.</param>
/// <param name="WorkEnvironment">Work environment.</param>
public sealed record EmploymentDetails(
    string IntegrationId,
    string? Employer,
    string? Occupation,
    string? WorkAddress,
    string? WorkPhone,
    decimal? Wage,
    string? WageUnit,
    string? WorkEnvironment) : ItemDetails
{
    private protected override Section SectionOfRecord => Section.EmploymentDetails;
}

/// <summary><c>Case Details</c>: one court case, with all its offenses.</summary>
/// <param name="IntegrationId">The case's own identifier (the case number unless the caller gives another).</param>
/// <param name="CaseNumber">The court's case number.</param>
/// <param name="CaseDate">The case date.</param>
/// <param name="Status">The case status.</param>
/// <param name="Offenses">The offenses of the case; never null (an empty list when there are none).</param>
public sealed record CaseDetails(
    string IntegrationId,
    string? CaseNumber,
    DateOnly? CaseDate,
    string? Status,
    ValueList<Offense>? Offenses) : ItemDetails
{
    /// <summary>The offenses of the case; empty when there are none.</summary>
    [JsonConverter(typeof(ValueListConverter<Offense>))]
    public ValueList<Offense> Offenses { get; init; } = Offenses ?? [];

    private protected override Section SectionOfRecord => Section.CaseDetails;
}

/// <summary>One offense of a court case. Offenses have no identity of their own: they change with their case.</summary>
/// <param name="Label">What the offense is.</param>
/// <param name="Date">When it was committed.</param>
/// <param name="Statute">The statute (wire spelling <c>Statute</c>; <c>statute</c> is read too).</param>
/// <param name="Category">Category, from the agency's lookup list.</param>
/// <param name="IsPrimary">Whether this is the case's primary offense.</param>
public sealed record Offense(
    string? Label,
    DateOnly? Date,
    string? Statute,
    string? Category,
    bool? IsPrimary);

/// <summary><c>Protective Order Details</c>: one protective order.</summary>
/// <param name="IntegrationId">The order's own identifier.</param>
/// <param name="OrderType">Type of order.</param>
/// <param name="EffectiveDate">First day in force.</param>
/// <param name="ExpirationDate">Last day in force; not before <paramref name="EffectiveDate"/>.</param>
/// <param name="ProtectedPersons">Who is protected.</param>
/// <param name="PeacefulContact">Whether peaceful contact is allowed.</param>
/// <param name="NoContact">Whether no contact at all is allowed.</param>
/// <param name="StayAwayPersons">Persons to stay away from.</param>
/// <param name="StayAwayLocation">Locations to stay away from (<c>StayAwayLocations</c> is read too).</param>
/// <param name="StayAwayVehicles">Vehicles to stay away from.</param>
/// <param name="MoveOutAddress">Address the client must move out of.</param>
/// <param name="ChildCustody">Child custody terms.</param>
public sealed record ProtectiveOrderDetails(
    string IntegrationId,
    string? OrderType,
    DateOnly? EffectiveDate,
    DateOnly? ExpirationDate,
    string? ProtectedPersons,
    bool? PeacefulContact,
    bool? NoContact,
    string? StayAwayPersons,
    string? StayAwayLocation,
    string? StayAwayVehicles,
    string? MoveOutAddress,
    string? ChildCustody) : ItemDetails
{
    private protected override Section SectionOfRecord => Section.ProtectiveOrderDetails;
}
