//! The platform: topology files, the bus graph, IOMMU instances, devices and IOMMU groups.
