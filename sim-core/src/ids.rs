//! Compact integer ids. Strings (device names, IOMMU names) live only at the edges
//! (files, reports); everything inside the simulation indexes dense `Vec`s with these.

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident($int:ty)) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub $int);

        impl $name {
            /// The id as a `usize` index into the `Vec` that owns the object.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
            /// Builds the id from a `Vec` index. Panics only if the index does not fit, which
            /// the loaders prevent by bounding counts.
            #[inline]
            pub fn from_index(i: usize) -> Self {
                Self(<$int>::try_from(i).expect(concat!(stringify!($name), " index overflow")))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// An IOMMU instance (a DMAR unit, an AMD IOMMU, an SMMU, a virtio-iommu).
    IommuId(u16)
);
id_type!(
    /// An endpoint device (a PCI function or a platform device).
    DeviceId(u32)
);
id_type!(
    /// An IOMMU group: the unit of attach, derived from the topology.
    GroupId(u32)
);
id_type!(
    /// A bus node of the topology (root complex, port, bridge, platform bus).
    BusId(u32)
);
id_type!(
    /// A VFIO container or iommufd IOAS: a set of user mappings.
    ContainerId(u32)
);
id_type!(
    /// An IOMMU domain (one page table), possibly attached behind several instances.
    DomainId(u32)
);
