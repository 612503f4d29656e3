namespace Caseline.Messages;

/// <summary><c>Personal Details</c>: one per client.</summary>
/// <param name="FirstName">Given name.</param>
/// <param name="LastName">Family name.</param>
/// <param name="DateOfBirth">Date of birth (wire spelling <c>DateOfBirth</c>).</param>
/// <param name="TimeZone">A Windows time-zone id such as <c>Mountain Standard Time</c>.</param>
/// <param name="Gender">Gender, from the agency's lookup list.</param>
/// <param name="Ethinicity">Ethnicity; the wire keeps the original system's spelling <c>Ethinicity</c>.</param>
/// <param name="StaticRiskRating">Static risk rating, for example <c>High - Violence</c>.</param>
/// <param name="NeedsClassification">Needs classification, for example <c>High - Mental Health</c>.</param>
public sealed record PersonalDetails(
    string? FirstName,
    string? LastName,
    DateOnly? DateOfBirth,
    string? TimeZone,
    string? Gender,
    string? Ethinicity,
    string? StaticRiskRating,
    string? NeedsClassification) : SectionDetails
{
    private protected override Section SectionOfRecord => Section.PersonalDetails;
}

/// <summary><c>Account Details</c>: one per client.</summary>
/// <param name="Status"><c>Active</c> or <c>Inactive</c>.</param>
/// <param name="AssignedCaseload">The caseload the client is on.</param>
/// <param name="AssignedOfficer">The supervising officer.</param>
public sealed record AccountDetails(
    string? Status,
    string? AssignedCaseload,
    string? AssignedOfficer) : SectionDetails
{
    /// <summary>The client is under active supervision.</summary>
    public const string Active = "Active";

    /// <summary>The client is not under active supervision.</summary>
    public const string Inactive = "Inactive";

    private protected override Section SectionOfRecord => Section.AccountDetails;
}

/// <summary><c>Email Details</c>: one per client.</summary>
/// <param name="Email">The client's email address.</param>
public sealed record EmailDetails(string? Email) : SectionDetails
{
    private protected override Section SectionOfRecord => Section.EmailDetails;
}
