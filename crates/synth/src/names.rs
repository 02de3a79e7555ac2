//! People: regional first and last names, email addresses derived from them, mobile numbers.

use crate::pick;
use crate::rng::SynthRng;

/// A naming tradition: first names and surnames that go together.
#[derive(Debug)]
pub(crate) struct Region {
    pub(crate) first: &'static [&'static str],
    pub(crate) last: &'static [&'static str],
}

pub(crate) const HINDI: Region = Region {
    first: &[
        "Aarav", "Vivaan", "Aditya", "Arjun", "Rohan", "Rahul", "Amit", "Vikas", "Sanjay",
        "Rajesh", "Priya", "Ananya", "Pooja", "Neha", "Kavita", "Sunita", "Anjali", "Shreya",
        "Ritu", "Deepak", "Manish", "Sneha", "Ishita", "Kunal", "Nikhil", "Aditi", "Varun",
        "Akash", "Karan", "Meera",
    ],
    last: &[
        "Sharma",
        "Verma",
        "Gupta",
        "Singh",
        "Yadav",
        "Mishra",
        "Tiwari",
        "Pandey",
        "Srivastava",
        "Agarwal",
        "Chauhan",
        "Saxena",
        "Tripathi",
        "Dubey",
        "Jain",
    ],
};
pub(crate) const TAMIL: Region = Region {
    first: &[
        "Karthik",
        "Senthil",
        "Murugan",
        "Arun",
        "Vignesh",
        "Prakash",
        "Lakshmi",
        "Meenakshi",
        "Priyanka",
        "Divya",
        "Kavya",
        "Gayathri",
        "Saravanan",
        "Dinesh",
    ],
    last: &[
        "Subramanian",
        "Iyer",
        "Krishnan",
        "Raman",
        "Natarajan",
        "Pillai",
        "Venkatesan",
        "Sundaram",
        "Rajendran",
        "Balasubramanian",
    ],
};
pub(crate) const TELUGU: Region = Region {
    first: &[
        "Venkat", "Srinivas", "Ravi", "Suresh", "Naveen", "Kiran", "Lavanya", "Swathi", "Sravani",
        "Harika", "Mahesh", "Sai",
    ],
    last: &["Reddy", "Naidu", "Rao", "Chowdary", "Varma", "Goud", "Raju"],
};
pub(crate) const BENGALI: Region = Region {
    first: &[
        "Arnab",
        "Sourav",
        "Debashish",
        "Subhajit",
        "Ankita",
        "Moumita",
        "Riya",
        "Payel",
        "Tanmoy",
        "Sayan",
        "Rituparna",
    ],
    last: &[
        "Banerjee",
        "Chatterjee",
        "Mukherjee",
        "Das",
        "Bose",
        "Ghosh",
        "Sen",
        "Dutta",
        "Chakraborty",
        "Roy",
    ],
};
pub(crate) const MARATHI: Region = Region {
    first: &[
        "Omkar",
        "Sachin",
        "Swapnil",
        "Aniket",
        "Tejas",
        "Prajakta",
        "Sayali",
        "Madhuri",
        "Shruti",
        "Vaishnavi",
        "Ganesh",
    ],
    last: &[
        "Patil",
        "Deshmukh",
        "Kulkarni",
        "Joshi",
        "Pawar",
        "Jadhav",
        "Shinde",
        "Deshpande",
        "Gaikwad",
        "Bhosale",
    ],
};
pub(crate) const PUNJABI: Region = Region {
    first: &[
        "Gurpreet",
        "Harpreet",
        "Manpreet",
        "Jaspreet",
        "Simran",
        "Navjot",
        "Amandeep",
        "Harjeet",
        "Kulwinder",
        "Baljit",
    ],
    last: &[
        "Singh",
        "Kaur",
        "Gill",
        "Sandhu",
        "Dhillon",
        "Sidhu",
        "Grewal",
        "Bajwa",
        "Ahluwalia",
    ],
};
pub(crate) const MALAYALAM: Region = Region {
    first: &[
        "Anoop", "Vishnu", "Sreejith", "Nithin", "Aswathy", "Anjana", "Reshma", "Lekshmi",
        "Athira", "Jithin", "Arya",
    ],
    last: &[
        "Nair", "Menon", "Pillai", "Kurup", "Panicker", "Nambiar", "Warrier",
    ],
};
pub(crate) const KANNADA: Region = Region {
    first: &[
        "Manjunath",
        "Raghavendra",
        "Prajwal",
        "Darshan",
        "Shwetha",
        "Sahana",
        "Spoorthi",
        "Chaitra",
        "Basavaraj",
    ],
    last: &["Gowda", "Hegde", "Shetty", "Rao", "Kamath", "Bhat", "Patil"],
};
pub(crate) const GUJARATI: Region = Region {
    first: &[
        "Hardik", "Jignesh", "Parth", "Dhruv", "Krunal", "Hetal", "Dhara", "Krupa", "Foram",
        "Nirav",
    ],
    last: &[
        "Patel", "Shah", "Mehta", "Desai", "Trivedi", "Parikh", "Modi", "Chauhan", "Bhatt",
    ],
};
pub(crate) const ASSAMESE: Region = Region {
    first: &[
        "Bhaskar",
        "Pranjal",
        "Dhruba",
        "Jyotishmita",
        "Bidisha",
        "Nilakshi",
        "Hemanta",
    ],
    last: &[
        "Baruah", "Gogoi", "Bora", "Saikia", "Kalita", "Hazarika", "Deka",
    ],
};
pub(crate) const MUSLIM: Region = Region {
    first: &[
        "Mohammed", "Ayaan", "Imran", "Faisal", "Sameer", "Arif", "Zoya", "Ayesha", "Fatima",
        "Sana", "Nazia", "Irfan", "Rizwan",
    ],
    last: &[
        "Khan", "Ahmed", "Qureshi", "Shaikh", "Siddiqui", "Ansari", "Syed", "Hussain", "Mirza",
    ],
};
pub(crate) const CHRISTIAN: Region = Region {
    first: &[
        "Joseph", "Thomas", "John", "Mathew", "George", "Anthony", "Mary", "Maria", "Sharon",
        "Jennifer", "Grace", "Francis",
    ],
    last: &[
        "D'Souza",
        "Fernandes",
        "Pereira",
        "Rodrigues",
        "Mathew",
        "Thomas",
        "Varghese",
        "Joseph",
        "D'Costa",
        "Lobo",
    ],
};

/// Every region, for picks that ignore geography.
pub(crate) const ALL: [&Region; 12] = [
    &HINDI, &TAMIL, &TELUGU, &BENGALI, &MARATHI, &PUNJABI, &MALAYALAM, &KANNADA, &GUJARATI,
    &ASSAMESE, &MUSLIM, &CHRISTIAN,
];

/// The naming tradition most common in a state (by the directory's state name).
pub(crate) fn region_for_state(state: &str) -> &'static Region {
    match state {
        "TAMIL NADU" | "PUDUCHERRY" => &TAMIL,
        "ANDHRA PRADESH" | "TELANGANA" => &TELUGU,
        "WEST BENGAL" | "TRIPURA" | "ANDAMAN AND NICOBAR ISLANDS" => &BENGALI,
        "MAHARASHTRA" | "GOA" => &MARATHI,
        "PUNJAB" | "CHANDIGARH" => &PUNJABI,
        "KERALA" | "LAKSHADWEEP" => &MALAYALAM,
        "KARNATAKA" => &KANNADA,
        "GUJARAT" | "THE DADRA AND NAGAR HAVELI AND DAMAN AND DIU" => &GUJARATI,
        "ASSAM" | "MEGHALAYA" | "ARUNACHAL PRADESH" | "NAGALAND" | "MANIPUR" | "MIZORAM"
        | "SIKKIM" => &ASSAMESE,
        "JAMMU AND KASHMIR" | "LADAKH" => &MUSLIM,
        _ => &HINDI,
    }
}

/// A person's first and last name, mostly from the tradition of the state they live in.
pub(crate) fn person(rng: &mut SynthRng, state: &str) -> (&'static str, &'static str) {
    let roll = rng.below(100);
    let region = match roll {
        0..=64 => region_for_state(state),
        65..=74 => &MUSLIM,
        75..=79 => &CHRISTIAN,
        _ => *pick(rng, &ALL),
    };
    (*pick(rng, region.first), *pick(rng, region.last))
}

const PROVIDERS: [(&str, u32); 8] = [
    ("gmail.com", 62),
    ("yahoo.co.in", 9),
    ("outlook.com", 8),
    ("hotmail.com", 5),
    ("rediffmail.com", 5),
    ("icloud.com", 5),
    ("yahoo.com", 4),
    ("proton.me", 2),
];

/// An email derived from the name: `priya.sharma87@gmail.com`, `psharma@outlook.com`, ...
pub(crate) fn email(rng: &mut SynthRng, first: &str, last: &str) -> String {
    let f = ascii_lower(first);
    let l = ascii_lower(last);
    let provider = crate::weighted(rng, &PROVIDERS);
    let n = rng.range(1, 100);
    let local = match rng.below(6) {
        0 => format!("{f}.{l}"),
        1 => format!("{f}{l}"),
        2 => format!("{f}_{l}{n}"),
        3 => format!("{f}.{l}{n}"),
        4 => format!("{f}{}", rng.range(1970, 2008)),
        _ => format!("{}{l}{n}", f.get(..1).unwrap_or("x")),
    };
    format!("{local}@{provider}")
}

fn ascii_lower(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Ten national digits of an Indian mobile number (first digit 6-9).
pub(crate) fn mobile_digits(rng: &mut SynthRng) -> String {
    let mut s = String::with_capacity(10);
    let first = crate::weighted(rng, &[('9', 40), ('8', 25), ('7', 25), ('6', 10)]);
    s.push(first);
    for _ in 0..9 {
        s.push(char::from(b'0' + (rng.below(10) as u8)));
    }
    s
}

/// The same number written one of the ways checkouts actually send it.
pub(crate) fn spell_phone(rng: &mut SynthRng, d: &str) -> String {
    let (a, b) = d.split_at(5.min(d.len()));
    let (p, q) = d.split_at(3.min(d.len()));
    let (q, r) = q.split_at(3.min(q.len()));
    match rng.below(11) {
        0 => d.to_owned(),
        1 => format!("+91{d}"),
        2 => format!("+91 {a} {b}"),
        3 => format!("+91-{a}-{b}"),
        4 => format!("0{d}"),
        5 => format!("0{a}-{b}"),
        6 => format!("91{d}"),
        7 => format!("(+91) {a} {b}"),
        8 => format!("{a}.{b}"),
        9 => format!("+91 ({p}) {q}-{r}"),
        _ => format!("{a} {b}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_about_150_first_names_and_100_surnames() {
        let first: usize = ALL.iter().map(|r| r.first.len()).sum();
        let last: usize = ALL.iter().map(|r| r.last.len()).sum();
        assert!((140..=170).contains(&first), "{first}");
        assert!((95..=130).contains(&last), "{last}");
    }

    #[test]
    fn every_phone_spelling_parses_back_to_the_same_number() {
        let mut rng = SynthRng::new(7);
        for _ in 0..500 {
            let d = mobile_digits(&mut rng);
            let spelled = spell_phone(&mut rng, &d);
            let parsed = orderly_domain::Phone::parse(&spelled).unwrap();
            assert_eq!(parsed.as_str(), d, "{spelled}");
        }
    }

    #[test]
    fn emails_are_valid_and_derived_from_the_name() {
        let mut rng = SynthRng::new(1);
        for _ in 0..200 {
            let e = email(&mut rng, "Rohan", "D'Souza");
            let parsed = orderly_domain::Email::parse(&e).unwrap();
            assert!(
                parsed.as_str().contains("dsouza") || parsed.as_str().starts_with("rohan"),
                "{e}"
            );
        }
    }
}
