//! The 265 NYC TLC taxi zones, following the real `taxi_zone_lookup.csv` layout.
//!
//! Where the real file repeats a name (103-105, 56/57) the names are split so
//! that every zone name is unique, which keeps joins on `Zone` unambiguous.

use std::sync::Arc;

use arrow::array::{Int32Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Borough {
    Ewr,
    Queens,
    Bronx,
    Manhattan,
    StatenIsland,
    Brooklyn,
    Unknown,
}

impl Borough {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Borough::Ewr => "EWR",
            Borough::Queens => "Queens",
            Borough::Bronx => "Bronx",
            Borough::Manhattan => "Manhattan",
            Borough::StatenIsland => "Staten Island",
            Borough::Brooklyn => "Brooklyn",
            Borough::Unknown => "Unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Ewr,
    Airports,
    Yellow,
    Boro,
    NotApplicable,
}

impl Service {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Service::Ewr => "EWR",
            Service::Airports => "Airports",
            Service::Yellow => "Yellow Zone",
            Service::Boro => "Boro Zone",
            Service::NotApplicable => "N/A",
        }
    }
}

pub(crate) struct Zone {
    pub id: i32,
    pub borough: Borough,
    pub name: &'static str,
    pub service: Service,
}

pub(crate) const NUM_ZONES: usize = 265;
pub(crate) const EWR: i32 = 1;
pub(crate) const JFK: i32 = 132;
pub(crate) const LGA: i32 = 138;

use Borough::{Bronx as BX, Brooklyn as BK, Manhattan as MN, Queens as QN, StatenIsland as SI};
use Service::{Boro as BZ, Yellow as YZ};

const fn z(id: i32, borough: Borough, name: &'static str, service: Service) -> Zone {
    Zone {
        id,
        borough,
        name,
        service,
    }
}

pub(crate) static ZONES: [Zone; NUM_ZONES] = [
    z(1, Borough::Ewr, "Newark Airport", Service::Ewr),
    z(2, QN, "Jamaica Bay", BZ),
    z(3, BX, "Allerton/Pelham Gardens", BZ),
    z(4, MN, "Alphabet City", YZ),
    z(5, SI, "Arden Heights", BZ),
    z(6, SI, "Arrochar/Fort Wadsworth", BZ),
    z(7, QN, "Astoria", BZ),
    z(8, QN, "Astoria Park", BZ),
    z(9, QN, "Auburndale", BZ),
    z(10, QN, "Baisley Park", BZ),
    z(11, BK, "Bath Beach", BZ),
    z(12, MN, "Battery Park", YZ),
    z(13, MN, "Battery Park City", YZ),
    z(14, BK, "Bay Ridge", BZ),
    z(15, QN, "Bay Terrace/Fort Totten", BZ),
    z(16, QN, "Bayside", BZ),
    z(17, BK, "Bedford", BZ),
    z(18, BX, "Bedford Park", BZ),
    z(19, QN, "Bellerose", BZ),
    z(20, BX, "Belmont", BZ),
    z(21, BK, "Bensonhurst East", BZ),
    z(22, BK, "Bensonhurst West", BZ),
    z(23, SI, "Bloomfield/Emerson Hill", BZ),
    z(24, MN, "Bloomingdale", YZ),
    z(25, BK, "Boerum Hill", BZ),
    z(26, BK, "Borough Park", BZ),
    z(27, QN, "Breezy Point/Fort Tilden/Riis Beach", BZ),
    z(28, QN, "Briarwood/Jamaica Hills", BZ),
    z(29, BK, "Brighton Beach", BZ),
    z(30, QN, "Broad Channel", BZ),
    z(31, BX, "Bronx Park", BZ),
    z(32, BX, "Bronxdale", BZ),
    z(33, BK, "Brooklyn Heights", BZ),
    z(34, BK, "Brooklyn Navy Yard", BZ),
    z(35, BK, "Brownsville", BZ),
    z(36, BK, "Bushwick North", BZ),
    z(37, BK, "Bushwick South", BZ),
    z(38, QN, "Cambria Heights", BZ),
    z(39, BK, "Canarsie", BZ),
    z(40, BK, "Carroll Gardens", BZ),
    z(41, MN, "Central Harlem", BZ),
    z(42, MN, "Central Harlem North", BZ),
    z(43, MN, "Central Park", YZ),
    z(44, SI, "Charleston/Tottenville", BZ),
    z(45, MN, "Chinatown", YZ),
    z(46, BX, "City Island", BZ),
    z(47, BX, "Claremont/Bathgate", BZ),
    z(48, MN, "Clinton East", YZ),
    z(49, BK, "Clinton Hill", BZ),
    z(50, MN, "Clinton West", YZ),
    z(51, BX, "Co-Op City", BZ),
    z(52, BK, "Cobble Hill", BZ),
    z(53, QN, "College Point", BZ),
    z(54, BK, "Columbia Street", BZ),
    z(55, BK, "Coney Island", BZ),
    z(56, QN, "Corona", BZ),
    z(57, QN, "Corona South", BZ),
    z(58, BX, "Country Club", BZ),
    z(59, BX, "Crotona Park", BZ),
    z(60, BX, "Crotona Park East", BZ),
    z(61, BK, "Crown Heights North", BZ),
    z(62, BK, "Crown Heights South", BZ),
    z(63, BK, "Cypress Hills", BZ),
    z(64, QN, "Douglaston", BZ),
    z(65, BK, "Downtown Brooklyn/MetroTech", BZ),
    z(66, BK, "DUMBO/Vinegar Hill", BZ),
    z(67, BK, "Dyker Heights", BZ),
    z(68, MN, "East Chelsea", YZ),
    z(69, BX, "East Concourse/Concourse Village", BZ),
    z(70, QN, "East Elmhurst", BZ),
    z(71, BK, "East Flatbush/Farragut", BZ),
    z(72, BK, "East Flatbush/Remsen Village", BZ),
    z(73, QN, "East Flushing", BZ),
    z(74, MN, "East Harlem North", BZ),
    z(75, MN, "East Harlem South", BZ),
    z(76, BK, "East New York", BZ),
    z(77, BK, "East New York/Pennsylvania Avenue", BZ),
    z(78, BX, "East Tremont", BZ),
    z(79, MN, "East Village", YZ),
    z(80, BK, "East Williamsburg", BZ),
    z(81, BX, "Eastchester", BZ),
    z(82, QN, "Elmhurst", BZ),
    z(83, QN, "Elmhurst/Maspeth", BZ),
    z(84, SI, "Eltingville/Annadale/Prince's Bay", BZ),
    z(85, BK, "Erasmus", BZ),
    z(86, QN, "Far Rockaway", BZ),
    z(87, MN, "Financial District North", YZ),
    z(88, MN, "Financial District South", YZ),
    z(89, BK, "Flatbush/Ditmas Park", BZ),
    z(90, MN, "Flatiron", YZ),
    z(91, BK, "Flatlands", BZ),
    z(92, QN, "Flushing", BZ),
    z(93, QN, "Flushing Meadows-Corona Park", BZ),
    z(94, BX, "Fordham South", BZ),
    z(95, QN, "Forest Hills", BZ),
    z(96, QN, "Forest Park/Highland Park", BZ),
    z(97, BK, "Fort Greene", BZ),
    z(98, QN, "Fresh Meadows", BZ),
    z(99, SI, "Freshkills Park", BZ),
    z(100, MN, "Garment District", YZ),
    z(101, QN, "Glen Oaks", BZ),
    z(102, QN, "Glendale", BZ),
    z(103, MN, "Governor's Island", YZ),
    z(104, MN, "Ellis Island", YZ),
    z(105, MN, "Liberty Island", YZ),
    z(106, BK, "Gowanus", BZ),
    z(107, MN, "Gramercy", YZ),
    z(108, BK, "Gravesend", BZ),
    z(109, SI, "Great Kills", BZ),
    z(110, SI, "Great Kills Park", BZ),
    z(111, BK, "Green-Wood Cemetery", BZ),
    z(112, BK, "Greenpoint", BZ),
    z(113, MN, "Greenwich Village North", YZ),
    z(114, MN, "Greenwich Village South", YZ),
    z(115, SI, "Grymes Hill/Clifton", BZ),
    z(116, MN, "Hamilton Heights", BZ),
    z(117, QN, "Hammels/Arverne", BZ),
    z(118, SI, "Heartland Village/Todt Hill", BZ),
    z(119, BX, "Highbridge", BZ),
    z(120, MN, "Highbridge Park", BZ),
    z(121, QN, "Hillcrest/Pomonok", BZ),
    z(122, QN, "Hollis", BZ),
    z(123, BK, "Homecrest", BZ),
    z(124, QN, "Howard Beach", BZ),
    z(125, MN, "Hudson Sq", YZ),
    z(126, BX, "Hunts Point", BZ),
    z(127, MN, "Inwood", BZ),
    z(128, MN, "Inwood Hill Park", BZ),
    z(129, QN, "Jackson Heights", BZ),
    z(130, QN, "Jamaica", BZ),
    z(131, QN, "Jamaica Estates", BZ),
    z(132, QN, "JFK Airport", Service::Airports),
    z(133, BK, "Kensington", BZ),
    z(134, QN, "Kew Gardens", BZ),
    z(135, QN, "Kew Gardens Hills", BZ),
    z(136, BX, "Kingsbridge Heights", BZ),
    z(137, MN, "Kips Bay", YZ),
    z(138, QN, "LaGuardia Airport", Service::Airports),
    z(139, QN, "Laurelton", BZ),
    z(140, MN, "Lenox Hill East", YZ),
    z(141, MN, "Lenox Hill West", YZ),
    z(142, MN, "Lincoln Square East", YZ),
    z(143, MN, "Lincoln Square West", YZ),
    z(144, MN, "Little Italy/NoLiTa", YZ),
    z(145, QN, "Long Island City/Hunters Point", BZ),
    z(146, QN, "Long Island City/Queens Plaza", BZ),
    z(147, BX, "Longwood", BZ),
    z(148, MN, "Lower East Side", YZ),
    z(149, BK, "Madison", BZ),
    z(150, BK, "Manhattan Beach", BZ),
    z(151, MN, "Manhattan Valley", YZ),
    z(152, MN, "Manhattanville", BZ),
    z(153, MN, "Marble Hill", BZ),
    z(154, BK, "Marine Park/Floyd Bennett Field", BZ),
    z(155, BK, "Marine Park/Mill Basin", BZ),
    z(156, SI, "Mariners Harbor", BZ),
    z(157, QN, "Maspeth", BZ),
    z(158, MN, "Meatpacking/West Village West", YZ),
    z(159, BX, "Melrose South", BZ),
    z(160, QN, "Middle Village", BZ),
    z(161, MN, "Midtown Center", YZ),
    z(162, MN, "Midtown East", YZ),
    z(163, MN, "Midtown North", YZ),
    z(164, MN, "Midtown South", YZ),
    z(165, BK, "Midwood", BZ),
    z(166, MN, "Morningside Heights", BZ),
    z(167, BX, "Morrisania/Melrose", BZ),
    z(168, BX, "Mott Haven/Port Morris", BZ),
    z(169, BX, "Mount Hope", BZ),
    z(170, MN, "Murray Hill", YZ),
    z(171, QN, "Murray Hill-Queens", BZ),
    z(172, SI, "New Dorp/Midland Beach", BZ),
    z(173, QN, "North Corona", BZ),
    z(174, BX, "Norwood", BZ),
    z(175, QN, "Oakland Gardens", BZ),
    z(176, SI, "Oakwood", BZ),
    z(177, BK, "Ocean Hill", BZ),
    z(178, BK, "Ocean Parkway South", BZ),
    z(179, QN, "Old Astoria", BZ),
    z(180, QN, "Ozone Park", BZ),
    z(181, BK, "Park Slope", BZ),
    z(182, BX, "Parkchester", BZ),
    z(183, BX, "Pelham Bay", BZ),
    z(184, BX, "Pelham Bay Park", BZ),
    z(185, BX, "Pelham Parkway", BZ),
    z(186, MN, "Penn Station/Madison Sq West", YZ),
    z(187, SI, "Port Richmond", BZ),
    z(188, BK, "Prospect-Lefferts Gardens", BZ),
    z(189, BK, "Prospect Heights", BZ),
    z(190, BK, "Prospect Park", BZ),
    z(191, QN, "Queens Village", BZ),
    z(192, QN, "Queensboro Hill", BZ),
    z(193, QN, "Queensbridge/Ravenswood", BZ),
    z(194, MN, "Randalls Island", YZ),
    z(195, BK, "Red Hook", BZ),
    z(196, QN, "Rego Park", BZ),
    z(197, QN, "Richmond Hill", BZ),
    z(198, QN, "Ridgewood", BZ),
    z(199, BX, "Rikers Island", BZ),
    z(200, BX, "Riverdale/North Riverdale/Fieldston", BZ),
    z(201, QN, "Rockaway Park", BZ),
    z(202, MN, "Roosevelt Island", BZ),
    z(203, QN, "Rosedale", BZ),
    z(204, SI, "Rossville/Woodrow", BZ),
    z(205, QN, "Saint Albans", BZ),
    z(206, SI, "Saint George/New Brighton", BZ),
    z(207, QN, "Saint Michaels Cemetery/Woodside", BZ),
    z(208, BX, "Schuylerville/Edgewater Park", BZ),
    z(209, MN, "Seaport", YZ),
    z(210, BK, "Sheepshead Bay", BZ),
    z(211, MN, "SoHo", YZ),
    z(212, BX, "Soundview/Bruckner", BZ),
    z(213, BX, "Soundview/Castle Hill", BZ),
    z(214, SI, "South Beach/Dongan Hills", BZ),
    z(215, QN, "South Jamaica", BZ),
    z(216, QN, "South Ozone Park", BZ),
    z(217, BK, "South Williamsburg", BZ),
    z(218, QN, "Springfield Gardens North", BZ),
    z(219, QN, "Springfield Gardens South", BZ),
    z(220, BX, "Spuyten Duyvil/Kingsbridge", BZ),
    z(221, SI, "Stapleton", BZ),
    z(222, BK, "Starrett City", BZ),
    z(223, QN, "Steinway", BZ),
    z(224, MN, "Stuy Town/Peter Cooper Village", YZ),
    z(225, BK, "Stuyvesant Heights", BZ),
    z(226, QN, "Sunnyside", BZ),
    z(227, BK, "Sunset Park East", BZ),
    z(228, BK, "Sunset Park West", BZ),
    z(229, MN, "Sutton Place/Turtle Bay North", YZ),
    z(230, MN, "Times Sq/Theatre District", YZ),
    z(231, MN, "TriBeCa/Civic Center", YZ),
    z(232, MN, "Two Bridges/Seward Park", YZ),
    z(233, MN, "UN/Turtle Bay South", YZ),
    z(234, MN, "Union Sq", YZ),
    z(235, BX, "University Heights/Morris Heights", BZ),
    z(236, MN, "Upper East Side North", YZ),
    z(237, MN, "Upper East Side South", YZ),
    z(238, MN, "Upper West Side North", YZ),
    z(239, MN, "Upper West Side South", YZ),
    z(240, BX, "Van Cortlandt Park", BZ),
    z(241, BX, "Van Cortlandt Village", BZ),
    z(242, BX, "Van Nest/Morris Park", BZ),
    z(243, MN, "Washington Heights North", BZ),
    z(244, MN, "Washington Heights South", BZ),
    z(245, SI, "West Brighton", BZ),
    z(246, MN, "West Chelsea/Hudson Yards", YZ),
    z(247, BX, "West Concourse", BZ),
    z(248, BX, "West Farms/Bronx River", BZ),
    z(249, MN, "West Village", YZ),
    z(250, BX, "Westchester Village/Unionport", BZ),
    z(251, SI, "Westerleigh", BZ),
    z(252, QN, "Whitestone", BZ),
    z(253, QN, "Willets Point", BZ),
    z(254, BX, "Williamsbridge/Olinville", BZ),
    z(255, BK, "Williamsburg (North Side)", BZ),
    z(256, BK, "Williamsburg (South Side)", BZ),
    z(257, BK, "Windsor Terrace", BZ),
    z(258, QN, "Woodhaven", BZ),
    z(259, BX, "Woodlawn/Wakefield", BZ),
    z(260, QN, "Woodside", BZ),
    z(261, MN, "World Trade Center", YZ),
    z(262, MN, "Yorkville East", YZ),
    z(263, MN, "Yorkville West", YZ),
    z(264, Borough::Unknown, "NV", Service::NotApplicable),
    z(265, Borough::Unknown, "NA", Service::NotApplicable),
];

/// Zones are stored in id order, so lookup is an index.
pub(crate) fn zone(id: i32) -> &'static Zone {
    &ZONES[(id - 1) as usize]
}

pub fn zone_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("LocationID", DataType::Int32, false),
        Field::new("Borough", DataType::Utf8, false),
        Field::new("Zone", DataType::Utf8, false),
        Field::new("service_zone", DataType::Utf8, false),
    ]))
}

/// The 265 zones as one batch, in id order.
pub fn zone_lookup_batch() -> RecordBatch {
    let ids = Int32Array::from_iter_values(ZONES.iter().map(|z| z.id));
    let boroughs = StringArray::from_iter_values(ZONES.iter().map(|z| z.borough.name()));
    let names = StringArray::from_iter_values(ZONES.iter().map(|z| z.name));
    let services = StringArray::from_iter_values(ZONES.iter().map(|z| z.service.name()));
    // Column types and lengths match the schema by construction; a failure here is a bug.
    RecordBatch::try_new(
        zone_schema(),
        vec![
            Arc::new(ids),
            Arc::new(boroughs),
            Arc::new(names),
            Arc::new(services),
        ],
    )
    .expect("zone batch matches its schema")
}

/// The lookup as CSV, quoted like the TLC file: ids bare, every text field in quotes.
pub fn zone_lookup_csv() -> String {
    let mut out = String::from("\"LocationID\",\"Borough\",\"Zone\",\"service_zone\"\n");
    for z in &ZONES {
        out.push_str(&format!(
            "{},{},{},{}\n",
            z.id,
            quote(z.borough.name()),
            quote(z.name),
            quote(z.service.name())
        ));
    }
    out
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_in_order() {
        for (i, z) in ZONES.iter().enumerate() {
            assert_eq!(z.id as usize, i + 1, "zone {} out of order", z.name);
        }
    }
}
